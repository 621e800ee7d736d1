import { type Cursor, readFullBoxHeader } from './cursor.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { type BoxInput, ByteWriter, uuidBox } from './writer.js';
import { UUID_TFRF } from './piff.js';

/** PIFF TfrfBox: times of the next fragments, only in live streams. */
export interface Tfrf {
  type: 'tfrf';
  version: number;
  entries: { time: bigint; duration: bigint }[];
}

export function readTfrf(c: Cursor): Tfrf {
  const { version } = readFullBoxHeader(c);
  const count = c.u8();
  const entries: Tfrf['entries'] = [];
  for (let i = 0; i < count; i++) {
    entries.push(version === 1 ? { time: c.u64(), duration: c.u64() } : { time: BigInt(c.u32()), duration: BigInt(c.u32()) });
  }
  return { type: 'tfrf', version, entries };
}

export function writeTfrf(box: BoxInput<Tfrf>): Uint8Array {
  if (box.entries.length > 255) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write tfrf: at most 255 entries fit its 8-bit count, got ${box.entries.length}`, { boxPath: 'tfrf' });
  }
  const w = new ByteWriter(1 + box.entries.length * (box.version === 1 ? 16 : 8), 'tfrf').u8(box.entries.length, 'fragment_count');
  for (const e of box.entries) {
    if (box.version === 1) w.u64(e.time, 'fragment_absolute_time').u64(e.duration, 'fragment_duration');
    else w.u32Big(e.time, 'fragment_absolute_time').u32Big(e.duration, 'fragment_duration');
  }
  return uuidBox(UUID_TFRF, box.version, 0, w.finish());
}
