import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox, required } from './writer.js';

/** Flag: aux_info_type and its parameter are present. */
export const AUX_INFO_TYPE_PRESENT = 0x1;

/** SampleAuxiliaryInformationSizesBox (ISO/IEC 14496-12 8.7.8): the size of each sample's `senc` entry. */
export interface Saiz {
  type: 'saiz';
  flags: number;
  auxInfoType?: string;
  auxInfoTypeParameter?: number;
  /** Non-zero: every sample's size; 0: `sampleSizes` lists them. */
  defaultSampleInfoSize: number;
  sampleCount: number;
  /** One size a sample when `defaultSampleInfoSize` is 0, else empty. */
  sampleSizes: number[];
}

export function readSaiz(c: Cursor): Saiz {
  const { flags } = readFullBoxHeader(c);
  const box: Saiz = { type: 'saiz', flags, defaultSampleInfoSize: 0, sampleCount: 0, sampleSizes: [] };
  if (flags & AUX_INFO_TYPE_PRESENT) {
    box.auxInfoType = c.fourcc();
    box.auxInfoTypeParameter = c.u32();
  }
  box.defaultSampleInfoSize = c.u8();
  box.sampleCount = c.u32();
  if (box.defaultSampleInfoSize === 0) box.sampleSizes = Array.from(c.bytesOf(box.sampleCount));
  return box;
}

export function writeSaiz(box: BoxInput<Saiz>): Uint8Array {
  const typed = (box.flags & AUX_INFO_TYPE_PRESENT) !== 0;
  const table = box.defaultSampleInfoSize === 0 ? box.sampleCount : 0;
  const w = new ByteWriter((typed ? 8 : 0) + 5 + table, 'saiz');
  if (typed) w.fourcc(required(box.auxInfoType, 'saiz', 'auxInfoType')).u32(required(box.auxInfoTypeParameter, 'saiz', 'auxInfoTypeParameter'), 'aux_info_type_parameter');
  w.u8(box.defaultSampleInfoSize, 'default_sample_info_size').u32(box.sampleCount, 'sample_count');
  for (let i = 0; i < table; i++) w.u8(required(box.sampleSizes[i], 'saiz', `sampleSizes[${i}]`), 'sample_info_size');
  return fullBox('saiz', 0, box.flags, w.finish());
}
