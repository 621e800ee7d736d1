import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

export interface Tfdt {
  type: 'tfdt';
  version: number;
  baseMediaDecodeTime: bigint;
}

export function readTfdt(c: Cursor): Tfdt {
  const { version } = readFullBoxHeader(c);
  return { type: 'tfdt', version, baseMediaDecodeTime: version === 1 ? c.u64() : BigInt(c.u32()) };
}

export function writeTfdt(box: BoxInput<Tfdt>): Uint8Array {
  const w = new ByteWriter(box.version === 1 ? 8 : 4, 'tfdt');
  if (box.version === 1) w.u64(box.baseMediaDecodeTime, 'baseMediaDecodeTime');
  else w.u32Big(box.baseMediaDecodeTime, 'baseMediaDecodeTime');
  return fullBox('tfdt', box.version, 0, w.finish());
}
