import type { Format } from '../formats/model.js';
import { ALIASES } from '../formats/names.js';
import { runAll } from '../util/runAll.js';
import { checkContentType } from './contentTypes.js';
import { objectUrl, type ManifestLocation } from './manifestUrl.js';
import { VerifyCode } from './problem.js';
import { MAX_DOCUMENT_BYTES, type VerifySession } from './session.js';

const CANONICAL_NAME: Record<Format, string> = { smooth: 'Manifest', dash: 'manifest.mpd', hls: 'master.m3u8' };

/**
 * The media-services names (`manifest(format=mpd-time-csf)`, ...) must answer the same
 * bytes as the document they stand for, with its format's Content-Type, so that players
 * configured with them keep working. The lower-case `manifest` is written (and checked)
 * only beside DASH or HLS, as `package` writes it. Returns how many matched, per format.
 */
export async function checkAliases(session: VerifySession, loc: ManifestLocation, formats: readonly Format[], canonical: Partial<Record<Format, Uint8Array | undefined>>, concurrency: number): Promise<Map<Format, number>> {
  const aliases: { format: Format; key: string; order: number }[] = [];
  for (const format of formats) {
    if (format === 'smooth' && !formats.some((f) => f !== 'smooth')) continue;
    for (const key of ALIASES[format]) aliases.push({ format, key, order: session.nextOrder() });
  }
  const matched = new Map<Format, number>();
  await runAll(
    aliases,
    concurrency,
    async ({ format, key, order }) => {
      const url = objectUrl(loc, key);
      const problem = (code: typeof VerifyCode.ALIAS | typeof VerifyCode.CONTENT_TYPE, message: string): void => session.problem(order, url, code, message, [format]);
      const r = await session.fetch(url, () => MAX_DOCUMENT_BYTES + 1);
      if (r.kind === 'failed') return problem(VerifyCode.ALIAS, `expected the same bytes as ${CANONICAL_NAME[format]}, the request failed: ${r.message}`);
      if (r.status !== 200) return problem(VerifyCode.ALIAS, `expected the same bytes as ${CANONICAL_NAME[format]}, found HTTP ${r.status}${r.status === 404 ? ' (missing)' : ''}`);
      session.checkCors(r.headers, (m) => session.problem(order, url, VerifyCode.CORS, m, [format]));
      checkContentType(format, r.headers, (m) => problem(VerifyCode.CONTENT_TYPE, m));
      const expected = canonical[format];
      if (expected === undefined) return;
      if (!sameBytes(r.prefix, r.length, expected)) {
        return problem(VerifyCode.ALIAS, `expected the same ${expected.length} bytes as ${CANONICAL_NAME[format]}, found ${r.length} bytes that differ: players configured with this name get another document`);
      }
      matched.set(format, (matched.get(format) ?? 0) + 1);
    },
    session.fetchSettings.signal,
  );
  return matched;
}

function sameBytes(prefix: Uint8Array, length: number, expected: Uint8Array): boolean {
  return length === expected.length && prefix.length === length && Buffer.compare(prefix, expected) === 0;
}
