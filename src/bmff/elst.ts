import { ErrorCode, SmoothpubError } from '../errors.js';
import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

/** One edit: `segmentDuration` in the movie timescale; `mediaTime` in the track's, −1 for an empty edit (a delay). */
export interface EditEntry {
  segmentDuration: bigint;
  mediaTime: bigint;
  rateInteger: number;
  rateFraction: number;
}

/** Edit list (ISO/IEC 14496-12 8.6.6). */
export interface Elst {
  type: 'elst';
  version: number;
  entries: EditEntry[];
}

/** Files hold one or two edits; a list this long is corrupt or hostile. */
const MAX_EDITS = 4096;

export function readElst(c: Cursor): Elst {
  const { version } = readFullBoxHeader(c);
  const at = c.offset;
  const n = c.u32();
  c.need(n * (version === 1 ? 20 : 12));
  if (n > MAX_EDITS) throw new SmoothpubError(ErrorCode.BAD_BOX, `elst lists ${n} edits; at most ${MAX_EDITS} are supported`, { offset: at, boxPath: c.what });
  const entries: EditEntry[] = [];
  for (let i = 0; i < n; i++) {
    const segmentDuration = version === 1 ? c.u64() : BigInt(c.u32());
    const mediaTime = version === 1 ? BigInt.asIntN(64, c.u64()) : BigInt(c.i32());
    entries.push({ segmentDuration, mediaTime, rateInteger: (c.u16() << 16) >> 16, rateFraction: c.u16() });
  }
  return { type: 'elst', version, entries };
}

export function writeElst(box: BoxInput<Elst>): Uint8Array {
  const v1 = box.version === 1;
  const w = new ByteWriter(4 + box.entries.length * (v1 ? 20 : 12), 'elst').u32(box.entries.length, 'entry_count');
  for (const e of box.entries) {
    if (v1) w.u64(e.segmentDuration, 'segment_duration').i64(e.mediaTime, 'media_time');
    else w.u32Big(e.segmentDuration, 'segment_duration').i32(Number(e.mediaTime), 'media_time');
    w.u16(e.rateInteger & 0xffff, 'media_rate_integer').u16(e.rateFraction, 'media_rate_fraction');
  }
  return fullBox('elst', box.version, 0, w.finish());
}
