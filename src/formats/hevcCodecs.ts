import type { HvcC } from '../bmff/hvcc.js';

/** general_profile_space 0-3 as the codecs string writes it (ISO/IEC 14496-15 E.3). */
const PROFILE_SPACES = ['', 'A', 'B', 'C'];

/**
 * The RFC 6381 `codecs` string of an HEVC sample entry (ISO/IEC 14496-15 annex E.3):
 * `<format>.<space><profile_idc>.<compatibility>.<tier><level_idc>[.<constraint>...]`,
 * the 32 compatibility flags in reverse bit order as hex without leading zeros, tier `L`
 * (Main) or `H` (High), then the 6 constraint indicator bytes in hex with trailing zero
 * bytes left out: `hvc1.1.6.L93.B0` is Main profile, Main tier, level 3.1.
 */
export function hevcCodecs(format: string, hvcC: HvcC): string {
  const compatibility = reverseBits32(hvcC.compatibilityFlags).toString(16).toUpperCase();
  const tier = hvcC.tierFlag === 1 ? 'H' : 'L';
  const constraints = [...hvcC.constraintFlags];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const parts = [format, `${PROFILE_SPACES[hvcC.profileSpace] ?? ''}${hvcC.profileIdc}`, compatibility, `${tier}${hvcC.levelIdc}`];
  for (const byte of constraints) parts.push(byte.toString(16).toUpperCase().padStart(2, '0'));
  return parts.join('.');
}

function reverseBits32(n: number): number {
  let out = 0;
  for (let i = 0; i < 32; i++) out = (out << 1) | ((n >>> i) & 1);
  return out >>> 0;
}
