import { TFHD_BASE_DATA_OFFSET } from '../bmff/tfhd.js';
import { TRUN_DATA_OFFSET } from '../bmff/trun.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { retimedLength } from './retimeMoof.js';
import { fullBoxFlags, trafParts, type TrafParts } from './spliceTraf.js';

/** Bytes of the version 1 `tfdt` inserted after `tfhd`. */
const INSERTED_TFDT = 20;

/** What decides how a `moof`'s `traf` (its last) gets a `tfdt`. */
interface TrafFacts {
  hasTfdt: boolean;
  tfhdFlags: number;
  /** Undefined without a `trun`. */
  firstTrunFlags: number | undefined;
  moofHeader: number;
  trafHeader: number;
}

export type TfdtPlacement = 'has' | 'inserted' | 'rebuilt';

/**
 * How a `moof` gets the `tfdt` DASH and HLS players need (plan/insertTfdt withTfdt): it
 * `has` one; one is `inserted`, a 20-byte box after `tfhd`, when its data offsets count
 * from the `moof` and its sizes are 32-bit; else it is `rebuilt` (retimeMoof).
 */
export function tfdtPlacement(moof: Uint8Array, offset: number, parts: TrafParts): TfdtPlacement {
  return placementOf(factsOf(moof, offset, parts));
}

function placementOf(f: TrafFacts): TfdtPlacement {
  if (f.hasTfdt) return 'has';
  const firstHasOffset = f.firstTrunFlags === undefined || f.firstTrunFlags & TRUN_DATA_OFFSET;
  return f.tfhdFlags & TFHD_BASE_DATA_OFFSET || !firstHasOffset || f.moofHeader !== 8 || f.trafHeader !== 8 ? 'rebuilt' : 'inserted';
}

/**
 * Bytes a `moof` (at file offset `offset`) gains when given its `tfdt` (withTfdt): 0 when
 * it has one; undefined when it cannot be given one (CENC sample auxiliary information
 * that a rebuild would move). Indexing records it, so the origin knows the size of every
 * fragment it serves to DASH and HLS clients (the HLS bandwidths) without reading them.
 */
export function tfdtGrowth(moof: Uint8Array, offset: number): number | undefined {
  const facts = trafFactsInPlace(moof) ?? factsOf(moof, offset, trafParts(moof, offset));
  const placement = placementOf(facts);
  if (placement === 'has') return 0;
  if (placement === 'inserted') return INSERTED_TFDT;
  // Rebuilt with a tfdt always (startAtZero), its length whatever the times written.
  const length = retimedLength(moof, offset, true);
  return length === undefined ? undefined : length - moof.length;
}

function factsOf(moof: Uint8Array, offset: number, parts: TrafParts): TrafFacts {
  const { tfhd, truns, traf } = parts;
  if (!tfhd) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'traf' has no 'tfhd' box", { offset: traf.offset, boxPath: 'moof/traf' });
  return {
    hasTfdt: parts.children.some((b) => b.type === 'tfdt'),
    tfhdFlags: fullBoxFlags(moof, tfhd, offset),
    firstTrunFlags: truns[0] && fullBoxFlags(moof, truns[0], offset),
    moofHeader: parts.moofHeader,
    trafHeader: traf.headerSize,
  };
}

const BOX_MOOF = 0x6d6f6f66;
const BOX_TRAF = 0x74726166;
const BOX_TFHD = 0x74666864;
const BOX_TFDT = 0x74666474;
const BOX_TRUN = 0x7472756e;

/**
 * factsOf read in place, for indexing, which asks it of every `moof` (the generic box
 * readers make an object and a cursor a box): undefined for anything out of the ordinary
 * (a 64-bit or to-the-end size, a box overrunning its parent, no `tfhd`), which trafParts
 * then reads, and reports, as withTfdt does.
 */
function trafFactsInPlace(moof: Uint8Array): TrafFacts | undefined {
  const view = new DataView(moof.buffer, moof.byteOffset, moof.byteLength);
  if (moof.length < 8 || view.getUint32(4) !== BOX_MOOF) return undefined;
  const end = view.getUint32(0);
  if (end < 8 || end > moof.length) return undefined;
  let traf: number | undefined;
  for (let at = 8; at < end; ) {
    const size = end - at < 8 ? 0 : view.getUint32(at);
    if (size < 8 || at + size > end) return undefined;
    if (view.getUint32(at + 4) === BOX_TRAF) traf = at;
    at += size;
  }
  if (traf === undefined) return undefined;
  const trafEnd = traf + view.getUint32(traf);
  let tfhdFlags: number | undefined;
  let firstTrunFlags: number | undefined;
  let hasTfdt = false;
  for (let at = traf + 8; at < trafEnd; ) {
    const size = trafEnd - at < 8 ? 0 : view.getUint32(at);
    if (size < 8 || at + size > trafEnd) return undefined;
    const type = view.getUint32(at + 4);
    if (type === BOX_TFDT) hasTfdt = true;
    else if (type === BOX_TFHD || (type === BOX_TRUN && firstTrunFlags === undefined)) {
      if (size < 12) return undefined;
      const flags = view.getUint32(at + 8) & 0xffffff;
      if (type === BOX_TFHD) tfhdFlags = flags;
      else firstTrunFlags = flags;
    }
    at += size;
  }
  if (tfhdFlags === undefined) return undefined;
  return { hasTfdt, tfhdFlags, firstTrunFlags, moofHeader: 8, trafHeader: 8 };
}
