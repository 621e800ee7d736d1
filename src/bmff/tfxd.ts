import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, uuidBox } from './writer.js';
import { UUID_TFXD } from './piff.js';

/** PIFF TrackFragmentExtendedHeaderBox: absolute time and duration of a fragment. */
export interface Tfxd {
  type: 'tfxd';
  version: number;
  /**
   * Signed: ffmpeg writes AAC priming as a negative time in this unsigned field
   * (e.g. -213333 stored as 2^64 - 213333); real times never reach 2^63.
   */
  time: bigint;
  duration: bigint;
}

export function readTfxd(c: Cursor): Tfxd {
  const { version } = readFullBoxHeader(c);
  if (version === 1) {
    return { type: 'tfxd', version, time: BigInt.asIntN(64, c.u64()), duration: c.u64() };
  }
  // Version 0 is unsigned 32-bit (PIFF 1.1 5.2.1); only version 1 carries ffmpeg's negative priming.
  return { type: 'tfxd', version, time: BigInt(c.u32()), duration: BigInt(c.u32()) };
}

/** Version 1 stores the signed time as two's complement, as ffmpeg does for AAC priming. */
export function writeTfxd(box: BoxInput<Tfxd>): Uint8Array {
  const w = new ByteWriter(box.version === 1 ? 16 : 8, 'tfxd');
  if (box.version === 1) {
    w.i64(box.time, 'fragment_absolute_time').u64(box.duration, 'fragment_duration');
  } else {
    w.u32Big(box.time, 'fragment_absolute_time').u32Big(box.duration, 'fragment_duration');
  }
  return uuidBox(UUID_TFXD, box.version, 0, w.finish());
}
