import type { Cursor } from './cursor.js';
import { type BoxInput, box as makeBox } from './writer.js';

/**
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3): decoded only for the NAL
 * length size and the parameter sets (what encryption needs); `record` keeps the whole
 * payload so the writer gives it back unchanged.
 */
export interface HvcC {
  type: 'hvcC';
  nalLengthSize: number;
  /** VPS, SPS, PPS (and SEI) NAL units, in the record's order. */
  parameterSets: Uint8Array[];
  record: Uint8Array;
}

export function readHvcC(c: Cursor): HvcC {
  const start = c.pos;
  c.skip(21); // configurationVersion through avgFrameRate/constantFrameRate/numTemporalLayers/temporalIdNested
  const nalLengthSize = (c.u8() & 3) + 1;
  const arrays = c.u8();
  const parameterSets: Uint8Array[] = [];
  for (let i = 0; i < arrays; i++) {
    c.u8(); // array_completeness, reserved, NAL_unit_type
    const n = c.u16();
    for (let j = 0; j < n; j++) parameterSets.push(c.bytesOf(c.u16()));
  }
  c.skip(c.remaining);
  return { type: 'hvcC', nalLengthSize, parameterSets, record: c.bytes.subarray(start, c.pos) };
}

export function writeHvcC(box: BoxInput<HvcC>): Uint8Array {
  return makeBox('hvcC', box.record);
}
