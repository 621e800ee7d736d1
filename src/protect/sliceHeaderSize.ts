import { ErrorCode, SmoothpubError } from '../errors.js';
import { type AvcParameterSets, avcSliceHeaderSize, parseAvcPps, parseAvcSps } from './avcSliceHeader.js';
import type { TrackEncryption } from './model.js';
import { NalSyntaxError } from './rbspReader.js';
import { type HevcParameterSets, hevcSliceHeaderSize, parseHevcPps, parseHevcSps } from './hevcSliceHeader.js';
import type { SliceHeaderSize } from './subsamples.js';

const AVC_SLICE = 1;
const AVC_IDR_SLICE = 5;
const AVC_SPS = 7;
const AVC_PPS = 8;

/**
 * How a track's slice NAL units are told apart and how much of each stays clear.
 *
 * H.264: coded slices (NAL types 1 and 5) keep their slice header clear, parsed with the
 * SPS and PPS of the avcC and any the samples carry (avc3), as Shaka Packager does. Data
 * partitions (2-4) and every other NAL unit stay clear whole. HEVC: slice segments (NAL
 * types 0-9 and 16-21) keep their slice segment header clear through its byte alignment,
 * parsed with the hvcC's and in-band SPS/PPS; other NAL units stay clear whole.
 */
export function sliceHeaderSizeFor(video: NonNullable<TrackEncryption['video']>): SliceHeaderSize {
  // The sample entry's parameter sets are parsed once a track (each fragment asks anew);
  // each call gets its own copy of the sets, so in-band ones stay the fragment's own.
  let fromEntry = parsedSets.get(video);
  if (fromEntry === undefined) {
    fromEntry = video.codec === 'hevc' ? hevcEntrySets(video.parameterSets) : avcEntrySets(video.parameterSets);
    parsedSets.set(video, fromEntry);
  }
  if (video.codec === 'hevc') return hevcSlices(fromEntry as HevcParameterSets);
  return avcSlices(fromEntry as AvcParameterSets);
}

/** Parameter sets parsed from each track's sample entry, by its TrackEncryption's `video`. */
const parsedSets = new WeakMap<object, AvcParameterSets | HevcParameterSets>();

/** Fields an H.264 SPS and PPS give the native slice header reader, in native/cenc.c's order (its SPS_* and PPS_* enums). */
export const AVC_SPS_FIELDS = 8;
export const AVC_PPS_FIELDS = 10;
const AVC_SPS_IDS = 32;
const AVC_PPS_IDS = 256;

/** An H.264 track's sample entry SPS and PPS as the tables native/cenc.c's avcSubsamples reads (by id; field 0 says whether the id is set). */
export interface AvcSetTables {
  sps: Int32Array;
  pps: Int32Array;
}

const avcTables = new WeakMap<object, AvcSetTables>();

/** The sample entry's parameter sets of an H.264 track as native tables, made once a track. */
export function avcSetTablesFor(video: NonNullable<TrackEncryption['video']>): AvcSetTables {
  let tables = avcTables.get(video);
  if (tables === undefined) {
    let sets = parsedSets.get(video);
    if (sets === undefined) {
      sets = avcEntrySets(video.parameterSets);
      parsedSets.set(video, sets);
    }
    tables = avcSetTables(sets as AvcParameterSets);
    avcTables.set(video, tables);
  }
  return tables;
}

/** Parameter sets as native tables (exported for the tests that compare both paths on made-up sets). */
export function avcSetTables(sets: AvcParameterSets): AvcSetTables {
  const sps = new Int32Array(AVC_SPS_FIELDS * AVC_SPS_IDS);
  for (const s of sets.sps.values()) {
    if (s.id >= AVC_SPS_IDS) continue;
    sps.set([1, s.chromaArrayType, +s.separateColourPlane, s.log2MaxFrameNum, s.picOrderCntType, s.log2MaxPicOrderCntLsb, +s.deltaPicOrderAlwaysZero, +s.frameMbsOnly].map(clampI32), AVC_SPS_FIELDS * s.id);
  }
  const pps = new Int32Array(AVC_PPS_FIELDS * AVC_PPS_IDS);
  for (const p of sets.pps.values()) {
    if (p.id >= AVC_PPS_IDS) continue;
    // An SPS id the table cannot hold: -1, which the native reader refuses (the JavaScript path then names it).
    const spsId = p.spsId < AVC_SPS_IDS ? p.spsId : -1;
    pps.set(
      [1, spsId, +p.entropyCodingMode, +p.bottomFieldPicOrderInFramePresent, p.numRefIdxL0DefaultActiveMinus1, p.numRefIdxL1DefaultActiveMinus1, +p.weightedPred, p.weightedBipredIdc, +p.deblockingFilterControlPresent, +p.redundantPicCntPresent].map(clampI32),
      AVC_PPS_FIELDS * p.id,
    );
  }
  return { sps, pps };
}

/** Exp-Golomb values reach 2^32 - 2: kept as the largest int32, which every check of the native reader refuses as the JavaScript one does. */
function clampI32(v: number): number {
  return Math.min(v, 0x7fffffff);
}

function avcEntrySets(parameterSets: readonly Uint8Array[]): AvcParameterSets {
  const sets: AvcParameterSets = { sps: new Map(), pps: new Map() };
  for (const ps of parameterSets) {
    try {
      if (ps.length > 0) addAvc(sets, ps);
    } catch (e) {
      if (!(e instanceof NalSyntaxError)) throw e;
      throw new SmoothpubError(ErrorCode.UNSUPPORTED_CODEC, `cannot encrypt this H.264 track: a parameter set of its avcC cannot be parsed (${e.message}), so its slice headers cannot be found`);
    }
  }
  return sets;
}

function addAvc(sets: AvcParameterSets, nal: Uint8Array): void {
  const type = nal[0]! & 0x1f;
  if (type === AVC_SPS) {
    const sps = parseAvcSps(nal);
    sets.sps.set(sps.id, sps);
  } else if (type === AVC_PPS) {
    const pps = parseAvcPps(nal);
    sets.pps.set(pps.id, pps);
  }
}

function avcSlices(fromEntry: AvcParameterSets): SliceHeaderSize {
  const sets: AvcParameterSets = { sps: new Map(fromEntry.sps), pps: new Map(fromEntry.pps) };
  return (nal) => {
    const type = nal[0]! & 0x1f;
    if (type === AVC_SLICE || type === AVC_IDR_SLICE) return avcSliceHeaderSize(nal, sets);
    addAvc(sets, nal);
    return undefined;
  };
}

const HEVC_SPS = 33;
const HEVC_PPS = 34;

function hevcEntrySets(parameterSets: readonly Uint8Array[]): HevcParameterSets {
  const sets: HevcParameterSets = { sps: new Map(), pps: new Map() };
  for (const ps of parameterSets) {
    try {
      if (ps.length > 1) addHevc(sets, ps);
    } catch (e) {
      if (!(e instanceof NalSyntaxError)) throw e;
      throw new SmoothpubError(ErrorCode.UNSUPPORTED_CODEC, `cannot encrypt this HEVC track: a parameter set of its hvcC cannot be parsed (${e.message}), so its slice headers cannot be found`);
    }
  }
  return sets;
}

function addHevc(sets: HevcParameterSets, nal: Uint8Array): void {
  const type = (nal[0]! >> 1) & 0x3f;
  if (type === HEVC_SPS) {
    const sps = parseHevcSps(nal);
    sets.sps.set(sps.id, sps);
  } else if (type === HEVC_PPS) {
    const pps = parseHevcPps(nal);
    sets.pps.set(pps.id, pps);
  }
}

function hevcSlices(fromEntry: HevcParameterSets): SliceHeaderSize {
  const sets: HevcParameterSets = { sps: new Map(fromEntry.sps), pps: new Map(fromEntry.pps) };
  return (nal) => {
    if (nal.length < 2) return undefined;
    const type = (nal[0]! >> 1) & 0x3f;
    if (type <= 9 || (type >= 16 && type <= 21)) return hevcSliceHeaderSize(nal, sets);
    addHevc(sets, nal);
    return undefined;
  };
}
