import type { Chunk } from './model.js';
import { badManifest, readNumberAttribute, readTimeAttribute } from './manifestAttributes.js';
import type { XmlNode } from './xmlNode.js';

/** More chunks than any real presentation (23 days of 2 s fragments): a bound against `r="4000000000"`. */
export const MAX_CHUNKS_PER_STREAM = 1_000_000;

/**
 * Expands `<c>` elements into explicit chunks (MS-SSTR 2.2.2.6): a missing t is
 * previous t + d (0 for the first), a missing d is the next t minus this t (the
 * stream's end for the last), `r` is the total count of equal chunks, `n` is ignored.
 */
export function readChunks(nodes: readonly XmlNode[], streamEnd: bigint, where: string): Chunk[] {
  const chunks: Chunk[] = [];
  let awaitingD: Chunk | undefined;
  let nextT = 0n;
  nodes.forEach((node, i) => {
    const at = `${where} chunk ${i}`;
    const t = readTimeAttribute(node, 't', at);
    const d = readTimeAttribute(node, 'd', at);
    const r = readNumberAttribute(node, 'r', at) ?? 1;
    if (r < 1) throw badManifest(`${at}: r must be at least 1, found ${r}`);
    if (awaitingD !== undefined) {
      if (t === undefined) throw badManifest(`${at}: has no t, and the chunk before it has no d`);
      awaitingD.d = durationBetween(awaitingD.t, t, at);
      awaitingD = undefined;
    }
    const start = t ?? nextT;
    if (chunks.length + r > MAX_CHUNKS_PER_STREAM) {
      throw badManifest(`${where}: more than ${MAX_CHUNKS_PER_STREAM} chunks`);
    }
    if (d === undefined) {
      if (r > 1) throw badManifest(`${at}: r=${r} needs a d`);
      awaitingD = { t: start, d: 0n };
      chunks.push(awaitingD);
      return;
    }
    for (let k = 0n; k < BigInt(r); k++) chunks.push({ t: start + k * d, d });
    nextT = start + BigInt(r) * d;
  });
  if (awaitingD !== undefined) awaitingD.d = durationBetween(awaitingD.t, streamEnd, `${where} last chunk (no d; ends at Duration)`);
  return chunks;
}

function durationBetween(start: bigint, end: bigint, at: string): bigint {
  if (end <= start) throw badManifest(`${at}: cannot derive d, next start ${end} is not after ${start}`);
  return end - start;
}
