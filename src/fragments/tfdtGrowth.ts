import { TFHD_BASE_DATA_OFFSET } from '../bmff/tfhd.js';
import { TRUN_DATA_OFFSET } from '../bmff/trun.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { retimedLength } from './retimeMoof.js';
import { fullBoxFlags, trafParts, type TrafParts } from './spliceTraf.js';

/** Bytes of the version 1 `tfdt` inserted after `tfhd`. */
const INSERTED_TFDT = 20;

/**
 * How a `moof` gets the `tfdt` DASH and HLS players need (plan/insertTfdt withTfdt): it
 * `has` one; one is `inserted`, a 20-byte box after `tfhd`, when its data offsets count
 * from the `moof` and its sizes are 32-bit; else it is `rebuilt` (retimeMoof).
 */
export function tfdtPlacement(moof: Uint8Array, offset: number, parts: TrafParts): 'has' | 'inserted' | 'rebuilt' {
  const { tfhd, truns, traf } = parts;
  if (!tfhd) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'traf' has no 'tfhd' box", { offset: traf.offset, boxPath: 'moof/traf' });
  if (parts.children.some((b) => b.type === 'tfdt')) return 'has';
  const firstHasOffset = truns.length === 0 || fullBoxFlags(moof, truns[0]!, offset) & TRUN_DATA_OFFSET;
  const absolute = fullBoxFlags(moof, tfhd, offset) & TFHD_BASE_DATA_OFFSET;
  return absolute || !firstHasOffset || parts.moofHeader !== 8 || traf.headerSize !== 8 ? 'rebuilt' : 'inserted';
}

/**
 * Bytes a `moof` (at file offset `offset`) gains when given its `tfdt` (withTfdt): 0 when
 * it has one; undefined when it cannot be given one (CENC sample auxiliary information
 * that a rebuild would move). Indexing records it, so the origin knows the size of every
 * fragment it serves to DASH and HLS clients (the HLS bandwidths) without reading them.
 */
export function tfdtGrowth(moof: Uint8Array, offset: number): number | undefined {
  const placement = tfdtPlacement(moof, offset, trafParts(moof, offset));
  if (placement === 'has') return 0;
  if (placement === 'inserted') return INSERTED_TFDT;
  // Rebuilt with a tfdt always (startAtZero), its length whatever the times written.
  const length = retimedLength(moof, offset, true);
  return length === undefined ? undefined : length - moof.length;
}
