import { type Cursor, readFullBoxHeader } from './cursor.js';
import { AUX_INFO_TYPE_PRESENT } from './saiz.js';
import { type BoxInput, ByteWriter, fullBox, required } from './writer.js';

/**
 * SampleAuxiliaryInformationOffsetsBox (ISO/IEC 14496-12 8.7.9): where the `senc` entries
 * are. In a `traf`, offsets count from the same base as its `trun` data offsets (the `moof`).
 */
export interface Saio {
  type: 'saio';
  /** 1: 64-bit offsets. */
  version: number;
  flags: number;
  auxInfoType?: string;
  auxInfoTypeParameter?: number;
  offsets: number[];
}

export function readSaio(c: Cursor): Saio {
  const { version, flags } = readFullBoxHeader(c);
  const box: Saio = { type: 'saio', version, flags, offsets: [] };
  if (flags & AUX_INFO_TYPE_PRESENT) {
    box.auxInfoType = c.fourcc();
    box.auxInfoTypeParameter = c.u32();
  }
  const count = c.u32();
  c.need(count * (version === 0 ? 4 : 8));
  for (let i = 0; i < count; i++) box.offsets.push(version === 0 ? c.u32() : c.u64Number());
  return box;
}

export function writeSaio(box: BoxInput<Saio>): Uint8Array {
  const typed = (box.flags & AUX_INFO_TYPE_PRESENT) !== 0;
  const w = new ByteWriter((typed ? 8 : 0) + 4 + box.offsets.length * (box.version === 0 ? 4 : 8), 'saio');
  if (typed) w.fourcc(required(box.auxInfoType, 'saio', 'auxInfoType')).u32(required(box.auxInfoTypeParameter, 'saio', 'auxInfoTypeParameter'), 'aux_info_type_parameter');
  w.u32(box.offsets.length, 'entry_count');
  for (const o of box.offsets) {
    if (box.version === 0) w.u32(o, 'offset');
    else w.u64(BigInt(o), 'offset');
  }
  return fullBox('saio', box.version, box.flags, w.finish());
}
