import type { Cursor } from './cursor.js';
import { type BoxInput, box as makeBox } from './writer.js';

/**
 * HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3): decoded for the profile, tier
 * and level fields (the `codecs` string), the NAL length size and the parameter sets (what
 * encryption and the Smooth CodecPrivateData need); `record` keeps the whole payload so
 * the writer gives it back unchanged.
 */
export interface HvcC {
  type: 'hvcC';
  /** general_profile_space (0-3). */
  profileSpace: number;
  /** general_tier_flag: 0 Main tier, 1 High tier. */
  tierFlag: number;
  /** general_profile_idc (1 Main, 2 Main 10, ...). */
  profileIdc: number;
  /** general_profile_compatibility_flags, flag 0 in the most significant bit. */
  compatibilityFlags: number;
  /** general_constraint_indicator_flags: 6 bytes. */
  constraintFlags: Uint8Array;
  /** general_level_idc: 30 x the level (93 = level 3.1). */
  levelIdc: number;
  nalLengthSize: number;
  /** VPS, SPS, PPS (and SEI) NAL units, in the record's order. */
  parameterSets: Uint8Array[];
  record: Uint8Array;
}

export function readHvcC(c: Cursor): HvcC {
  const start = c.pos;
  c.u8(); // configurationVersion
  const first = c.u8();
  const compatibilityFlags = c.u32();
  const constraintFlags = c.bytesOf(6);
  const levelIdc = c.u8();
  c.skip(8); // min_spatial_segmentation_idc through avgFrameRate
  const nalLengthSize = (c.u8() & 3) + 1;
  const arrays = c.u8();
  const parameterSets: Uint8Array[] = [];
  for (let i = 0; i < arrays; i++) {
    c.u8(); // array_completeness, reserved, NAL_unit_type
    const n = c.u16();
    for (let j = 0; j < n; j++) parameterSets.push(c.bytesOf(c.u16()));
  }
  c.skip(c.remaining);
  return {
    type: 'hvcC',
    profileSpace: first >> 6,
    tierFlag: (first >> 5) & 1,
    profileIdc: first & 0x1f,
    compatibilityFlags,
    constraintFlags,
    levelIdc,
    nalLengthSize,
    parameterSets,
    record: c.bytes.subarray(start, c.pos),
  };
}

export function writeHvcC(box: BoxInput<HvcC>): Uint8Array {
  return makeBox('hvcC', box.record);
}
