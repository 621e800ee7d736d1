import { fetchBody, type FetchBodyOptions, type FetchResult } from './fetchBody.js';
import { objectUrl, redactUrl, type ManifestLocation } from './manifestUrl.js';
import { VerifyCode, type VerifyProblem } from './problem.js';

const POLICY_FILES = [
  { name: 'clientaccesspolicy.xml', root: 'access-policy', who: 'Silverlight looks' },
  { name: 'crossdomain.xml', root: 'cross-domain-policy', who: 'Silverlight (as a fallback) and Flash look' },
] as const;

const MAX_POLICY_BYTES = 1 << 20;

/**
 * Silverlight and Flash fetch cross-domain policy files from the host root, never from
 * the presentation folder; so that is where they must be. A copy next to the Manifest
 * (where `package --policy` writes them) is mentioned, as the likely mistake.
 */
export async function checkPolicyFiles(loc: ManifestLocation, options: Omit<FetchBodyOptions, 'keep' | 'headers'>): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = [];
  const get = (url: string): Promise<FetchResult> => fetchBody(url, { ...options, headers: { 'accept-encoding': 'identity' }, keep: () => MAX_POLICY_BYTES });
  const atRoot = new URL('/', loc.manifest).href;
  for (const file of POLICY_FILES) {
    const url = new URL(file.name, atRoot).href;
    const found = describePolicy(await get(url), file.root);
    if (found === undefined) continue;
    let hint = '';
    if (loc.base !== atRoot) {
      const beside = objectUrl(loc, file.name);
      if (describePolicy(await get(beside), file.root) === undefined) {
        hint = `; a copy is next to the Manifest (${redactUrl(beside)}), where no player looks: put it at the host root (Azure: the $root container; S3: the bucket root)`;
      }
    }
    problems.push({ url, code: VerifyCode.POLICY, message: `expected <${file.root}> XML at the host root, where ${file.who} before any cross-domain request; found ${found}${hint}` });
  }
  return problems;
}

/** undefined when the response is a policy file with the expected root element; else what was found. */
function describePolicy(r: FetchResult, root: string): string | undefined {
  if (r.kind === 'failed') return r.message;
  if (r.status !== 200) return `HTTP ${r.status}`;
  const text = new TextDecoder().decode(r.prefix);
  if (new RegExp(`<${root}[\\s>/]`).test(text)) return undefined;
  return `HTTP 200 but no <${root}> element (starts with ${JSON.stringify(text.slice(0, 40))})`;
}
