/**
 * Removes secrets from text that may reach a user: error messages, logs, JSON.
 * Patterns cover what the Azure and AWS SDKs put into messages (connection strings,
 * SAS query strings, presigned URLs, Authorization headers); values of secret
 * environment variables are removed wherever they appear verbatim.
 */

const REDACTED = '<redacted>';

/** Environment variables whose values are secrets. */
const SECRET_ENV = [
  'AZURE_STORAGE_KEY',
  'AZURE_STORAGE_SAS_TOKEN',
  'AZURE_STORAGE_CONNECTION_STRING',
  'AZURE_CLIENT_SECRET',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
] as const;

/** SAS query parameters (Azure) and SigV2/SigV4 presigned-URL parameters (S3) that carry or sign credentials. */
const SECRET_QUERY = ['sig', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'AWSAccessKeyId', 'Signature'];

const PATTERNS: [RegExp, string][] = [
  // Connection-string fields up to the next `;`, quote or space.
  [/\b(AccountKey|SharedAccessSignature)=[^;\s"'<>)]*/gi, `$1=${REDACTED}`],
  // `sig=...` and friends in query strings, raw or HTML-escaped (`&amp;sig=`).
  [new RegExp(`([?&;](?:amp;)?(?:${SECRET_QUERY.join('|')})=)[^&\\s"'<>)]*`, 'gi'), `$1${REDACTED}`],
  // A bare SAS token: `sig=...` at the start of the text or after a space, quote or parenthesis.
  [/(^|[\s"'(])(sig=)[^&\s"'<>)]*/gi, `$1$2${REDACTED}`],
  // Authorization-like headers: JSON `"authorization":"AWS4-HMAC-SHA256 ..."` and inspected
  // `authorization: '...'` lose the quoted value; raw `Authorization: SharedKey acct:sig` loses the rest of the line.
  [/(["']?\b(?:x-ms-)?(?:authorization|x-amz-security-token|x-ms-copy-source-authorization)["']?\s*:\s*)(["'])(?:(?!\2)[^\r\n])*\2/gi, `$1$2${REDACTED}$2`],
  [/(\b(?:x-ms-)?(?:authorization|x-amz-security-token)\s*:\s*)(?=[^\s"'<])[^\r\n]*/gi, `$1${REDACTED}`],
];

/**
 * `env` (default `process.env`; none on an edge runtime) supplies secret values to remove
 * verbatim; `secrets` adds values a caller knows (e.g. a key from a connection string passed in code).
 */
export function redact(text: string, env: NodeJS.ProcessEnv = (globalThis as { process?: { env: NodeJS.ProcessEnv } }).process?.env ?? {}, secrets: readonly string[] = []): string {
  let out = text;
  const values = [...SECRET_ENV.map((name) => env[name]), ...secrets];
  for (const value of values) {
    // Very short values would redact ordinary words; real keys and tokens are long.
    if (value === undefined || value.length < 8) continue;
    for (const form of new Set([value, value.replace(/^\?/, ''), encodeURIComponent(value)])) {
      if (form.length >= 8) out = out.split(form).join(REDACTED);
    }
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
