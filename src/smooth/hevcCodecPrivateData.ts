import type { HvcC } from '../bmff/hvcc.js';
import { toHex } from '../bmff/box.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { hevcParameterSets, missingHevcParameterSets } from './hevcParameterSets.js';

const START_CODE = '00000001';

/**
 * HEVC CodecPrivateData: the hvcC's parameter sets as Annex-B, VPS then SPS then PPS, each
 * after a 4-byte start code, in uppercase hex: the H.264 form (SPS, PPS) with the VPS in
 * front, as a decoder fed Annex-B needs them in that order. SEI arrays are left out: a
 * decoder needs no SEI to start, and CodecPrivateData describes the configuration only.
 */
export function hevcCodecPrivateData(hvcC: HvcC): string {
  const missing = missingHevcParameterSets(hvcC);
  if (missing !== '') {
    throw new SmoothpubError(
      ErrorCode.UNSUPPORTED_CODEC,
      `HEVC: expected VPS, SPS and PPS in hvcC (Smooth clients take them from CodecPrivateData), found no ${missing}`,
      { boxPath: 'hvcC' },
    );
  }
  const sets = hevcParameterSets(hvcC);
  return [...sets.vps, ...sets.sps, ...sets.pps].map((unit) => START_CODE + toHex(unit).toUpperCase()).join('');
}
