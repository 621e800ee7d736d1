import type { HvcC } from '../bmff/hvcc.js';

/** nal_unit_type of HEVC's parameter sets (ITU-T H.265 table 7-1). */
export const HEVC_VPS = 32;
export const HEVC_SPS = 33;
export const HEVC_PPS = 34;

export interface HevcParameterSets {
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
}

/**
 * The hvcC's VPS, SPS and PPS NAL units, each kind in the record's order; SEI and other
 * arrays are left out. The type comes from each unit's own two-byte NAL header, which
 * the array's NAL_unit_type only repeats.
 */
export function hevcParameterSets(hvcC: Pick<HvcC, 'parameterSets'>): HevcParameterSets {
  const sets: HevcParameterSets = { vps: [], sps: [], pps: [] };
  for (const unit of hvcC.parameterSets) {
    const type = ((unit[0] ?? 0) >> 1) & 0x3f;
    if (type === HEVC_VPS) sets.vps.push(unit);
    else if (type === HEVC_SPS) sets.sps.push(unit);
    else if (type === HEVC_PPS) sets.pps.push(unit);
  }
  return sets;
}

/** What is missing for a decoder to start from the hvcC alone ('' when nothing is). */
export function missingHevcParameterSets(hvcC: Pick<HvcC, 'parameterSets'>): string {
  const sets = hevcParameterSets(hvcC);
  const missing = (['vps', 'sps', 'pps'] as const).filter((k) => sets[k].length === 0).map((k) => k.toUpperCase());
  return missing.join(', ');
}
