import { NalSyntaxError, RbspReader } from './rbspReader.js';

/** A short-term reference picture set: its pictures' POC deltas and which the current picture uses. */
interface Rps {
  s0: { delta: number; used: boolean }[];
  s1: { delta: number; used: boolean }[];
}

/** The SPS fields an HEVC slice segment header's syntax depends on (ITU-T H.265 7.3.2.2). */
export interface HevcSps {
  id: number;
  chromaArrayType: number;
  separateColourPlane: boolean;
  log2MaxPicOrderCntLsb: number;
  picSizeInCtbsY: number;
  sampleAdaptiveOffset: boolean;
  rps: Rps[];
  longTermRefPicsPresent: boolean;
  /** used_by_curr_pic_lt_sps_flag of each long-term picture the SPS lists. */
  longTermUsed: boolean[];
  temporalMvp: boolean;
}

/** The PPS fields an HEVC slice segment header's syntax depends on (7.3.2.3). */
export interface HevcPps {
  id: number;
  spsId: number;
  dependentSliceSegments: boolean;
  outputFlagPresent: boolean;
  numExtraSliceHeaderBits: number;
  cabacInitPresent: boolean;
  numRefIdxL0DefaultActiveMinus1: number;
  numRefIdxL1DefaultActiveMinus1: number;
  sliceChromaQpOffsetsPresent: boolean;
  weightedPred: boolean;
  weightedBipred: boolean;
  tilesOrEntropySync: boolean;
  loopFilterAcrossSlices: boolean;
  deblockingOverrideEnabled: boolean;
  deblockingDisabled: boolean;
  listsModificationPresent: boolean;
  sliceHeaderExtensionPresent: boolean;
  chromaQpOffsetListEnabled: boolean;
}

export interface HevcParameterSets {
  sps: Map<number, HevcSps>;
  pps: Map<number, HevcPps>;
}

const HEADER = 2;

function ceilLog2(n: number): number {
  let bits = 0;
  while (2 ** bits < n) bits++;
  return bits;
}

function skipProfileTierLevel(r: RbspReader, maxSubLayersMinus1: number): void {
  r.bits(32);
  r.bits(32);
  r.bits(32); // general profile (88 bits) and general_level_idc (8)
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.flag());
    levelPresent.push(r.flag());
  }
  if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.bits(2);
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) {
      r.bits(32);
      r.bits(32);
      r.bits(24);
    }
    if (levelPresent[i]) r.bits(8);
  }
}

function skipScalingListData(r: RbspReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      if (!r.flag()) {
        r.ue(); // scaling_list_pred_matrix_id_delta
        continue;
      }
      const coefs = Math.min(64, 1 << (4 + (sizeId << 1)));
      if (sizeId > 1) r.se(); // scaling_list_dc_coef_minus8
      for (let i = 0; i < coefs; i++) r.se();
    }
  }
}

/** st_ref_pic_set(idx) (7.3.7), with the POC deltas derived as 7.4.8 does. */
function readRps(r: RbspReader, idx: number, sets: readonly Rps[], inSliceHeader: boolean): Rps {
  if (idx !== 0 && r.flag()) {
    // inter_ref_pic_set_prediction_flag
    const deltaIdx = inSliceHeader ? r.ue() + 1 : 1;
    const ref = sets[idx - deltaIdx];
    if (ref === undefined) throw new NalSyntaxError(`a reference picture set predicts from set ${idx - deltaIdx}, which does not exist`);
    const sign = r.bit();
    const deltaRps = (1 - 2 * sign) * (r.ue() + 1);
    const refDeltas = [...ref.s0, ...ref.s1].map((p) => p.delta);
    const out: Rps = { s0: [], s1: [] };
    for (let j = 0; j <= refDeltas.length; j++) {
      const used = r.flag();
      const useDelta = used || r.flag();
      if (!useDelta) continue;
      const d = (j < refDeltas.length ? refDeltas[j]! : 0) + deltaRps;
      if (d < 0) out.s0.push({ delta: d, used });
      else if (d > 0) out.s1.push({ delta: d, used });
    }
    out.s0.sort((a, b) => b.delta - a.delta);
    out.s1.sort((a, b) => a.delta - b.delta);
    return out;
  }
  const negatives = r.ue();
  const positives = r.ue();
  if (negatives > 16 || positives > 16) throw new NalSyntaxError(`a reference picture set of ${negatives}+${positives} pictures`);
  const out: Rps = { s0: [], s1: [] };
  let poc = 0;
  for (let i = 0; i < negatives; i++) {
    poc -= r.ue() + 1;
    out.s0.push({ delta: poc, used: r.flag() });
  }
  poc = 0;
  for (let i = 0; i < positives; i++) {
    poc += r.ue() + 1;
    out.s1.push({ delta: poc, used: r.flag() });
  }
  return out;
}

/** Parses an HEVC SPS NAL unit (2-byte header included). */
export function parseHevcSps(nal: Uint8Array): HevcSps {
  const r = new RbspReader(nal, HEADER);
  r.bits(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.bits(3);
  r.bit(); // sps_temporal_id_nesting_flag
  skipProfileTierLevel(r, maxSubLayersMinus1);
  const id = r.ue();
  const chromaFormatIdc = r.ue();
  const separateColourPlane = chromaFormatIdc === 3 && r.flag();
  const width = r.ue();
  const height = r.ue();
  if (r.flag()) for (let i = 0; i < 4; i++) r.ue(); // conformance window
  r.ue(); // bit_depth_luma_minus8
  r.ue(); // bit_depth_chroma_minus8
  const log2MaxPicOrderCntLsb = r.ue() + 4;
  const orderingInfo = r.flag();
  for (let i = orderingInfo ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.ue();
    r.ue();
    r.ue();
  }
  const log2MinCb = r.ue() + 3;
  const log2Ctb = log2MinCb + r.ue();
  r.ue(); // log2_min_luma_transform_block_size_minus2
  r.ue(); // log2_diff_max_min_luma_transform_block_size
  r.ue(); // max_transform_hierarchy_depth_inter
  r.ue(); // max_transform_hierarchy_depth_intra
  if (r.flag() && r.flag()) skipScalingListData(r); // scaling_list_enabled_flag, sps_scaling_list_data_present_flag
  r.bit(); // amp_enabled_flag
  const sampleAdaptiveOffset = r.flag();
  if (r.flag()) {
    // pcm_enabled_flag
    r.bits(8);
    r.ue();
    r.ue();
    r.bit();
  }
  const numRps = r.ue();
  if (numRps > 64) throw new NalSyntaxError(`SPS num_short_term_ref_pic_sets ${numRps} is above 64`);
  const rps: Rps[] = [];
  for (let i = 0; i < numRps; i++) rps.push(readRps(r, i, rps, false));
  const longTermRefPicsPresent = r.flag();
  const longTermUsed: boolean[] = [];
  if (longTermRefPicsPresent) {
    const n = r.ue();
    if (n > 32) throw new NalSyntaxError(`SPS num_long_term_ref_pics_sps ${n} is above 32`);
    for (let i = 0; i < n; i++) {
      r.bits(log2MaxPicOrderCntLsb);
      longTermUsed.push(r.flag());
    }
  }
  const temporalMvp = r.flag();
  const ctb = 2 ** log2Ctb;
  return {
    id,
    chromaArrayType: separateColourPlane ? 0 : chromaFormatIdc,
    separateColourPlane,
    log2MaxPicOrderCntLsb,
    picSizeInCtbsY: Math.ceil(width / ctb) * Math.ceil(height / ctb),
    sampleAdaptiveOffset,
    rps,
    longTermRefPicsPresent,
    longTermUsed,
    temporalMvp,
  };
}

/** Parses an HEVC PPS NAL unit (2-byte header included). */
export function parseHevcPps(nal: Uint8Array): HevcPps {
  const r = new RbspReader(nal, HEADER);
  const id = r.ue();
  const spsId = r.ue();
  const dependentSliceSegments = r.flag();
  const outputFlagPresent = r.flag();
  const numExtraSliceHeaderBits = r.bits(3);
  r.bit(); // sign_data_hiding_enabled_flag
  const cabacInitPresent = r.flag();
  const numRefIdxL0DefaultActiveMinus1 = r.ue();
  const numRefIdxL1DefaultActiveMinus1 = r.ue();
  r.se(); // init_qp_minus26
  r.bit(); // constrained_intra_pred_flag
  const transformSkip = r.flag();
  if (r.flag()) r.ue(); // cu_qp_delta_enabled_flag, diff_cu_qp_delta_depth
  r.se(); // pps_cb_qp_offset
  r.se(); // pps_cr_qp_offset
  const sliceChromaQpOffsetsPresent = r.flag();
  const weightedPred = r.flag();
  const weightedBipred = r.flag();
  r.bit(); // transquant_bypass_enabled_flag
  const tiles = r.flag();
  const entropySync = r.flag();
  if (tiles) {
    const columns = r.ue() + 1;
    const rows = r.ue() + 1;
    if (!r.flag()) {
      // uniform_spacing_flag
      for (let i = 0; i < columns - 1; i++) r.ue();
      for (let i = 0; i < rows - 1; i++) r.ue();
    }
    r.bit(); // loop_filter_across_tiles_enabled_flag
  }
  const loopFilterAcrossSlices = r.flag();
  let deblockingOverrideEnabled = false;
  let deblockingDisabled = false;
  if (r.flag()) {
    // deblocking_filter_control_present_flag
    deblockingOverrideEnabled = r.flag();
    deblockingDisabled = r.flag();
    if (!deblockingDisabled) {
      r.se();
      r.se();
    }
  }
  if (r.flag()) skipScalingListData(r); // pps_scaling_list_data_present_flag
  const listsModificationPresent = r.flag();
  r.ue(); // log2_parallel_merge_level_minus2
  const sliceHeaderExtensionPresent = r.flag();
  let chromaQpOffsetListEnabled = false;
  if (r.flag()) {
    // pps_extension_present_flag
    const range = r.flag();
    const others = r.bits(3);
    r.bits(4); // pps_extension_4bits
    if (others !== 0) throw new NalSyntaxError(`PPS ${id} has multilayer, 3D or screen content extensions: not supported`);
    if (range) {
      if (transformSkip) r.ue(); // log2_max_transform_skip_block_size_minus2
      r.bit(); // cross_component_prediction_enabled_flag
      chromaQpOffsetListEnabled = r.flag();
    }
  }
  return {
    id, spsId, dependentSliceSegments, outputFlagPresent, numExtraSliceHeaderBits, cabacInitPresent, numRefIdxL0DefaultActiveMinus1, numRefIdxL1DefaultActiveMinus1,
    sliceChromaQpOffsetsPresent, weightedPred, weightedBipred, tilesOrEntropySync: tiles || entropySync, loopFilterAcrossSlices, deblockingOverrideEnabled,
    deblockingDisabled, listsModificationPresent, sliceHeaderExtensionPresent, chromaQpOffsetListEnabled,
  };
}

const B = 0;
const P = 1;

/**
 * The size in bytes of a slice segment header (ITU-T H.265 7.3.6.1) through its
 * byte_alignment(), counted from the byte after the 2-byte NAL header (emulation
 * prevention bytes included).
 */
export function hevcSliceHeaderSize(nal: Uint8Array, sets: HevcParameterSets): number {
  const nalType = (nal[0]! >> 1) & 0x3f;
  const r = new RbspReader(nal, HEADER);
  const first = r.flag();
  if (nalType >= 16 && nalType <= 23) r.bit(); // no_output_of_prior_pics_flag
  const ppsId = r.ue();
  const pps = sets.pps.get(ppsId);
  if (pps === undefined) throw new NalSyntaxError(`the slice names PPS ${ppsId}, which neither the hvcC nor the sample carries`);
  const sps = sets.sps.get(pps.spsId);
  if (sps === undefined) throw new NalSyntaxError(`PPS ${ppsId} names SPS ${pps.spsId}, which neither the hvcC nor the sample carries`);
  let dependent = false;
  if (!first) {
    if (pps.dependentSliceSegments) dependent = r.flag();
    r.bits(ceilLog2(sps.picSizeInCtbsY)); // slice_segment_address
  }
  if (!dependent) {
    r.bits(pps.numExtraSliceHeaderBits);
    const sliceType = r.ue();
    if (sliceType > 2) throw new NalSyntaxError(`slice_type ${sliceType} is above 2`);
    if (pps.outputFlagPresent) r.bit();
    if (sps.separateColourPlane) r.bits(2);
    let temporalMvp = false;
    let numPicTotalCurr = 0;
    if (nalType !== 19 && nalType !== 20) {
      r.bits(sps.log2MaxPicOrderCntLsb); // slice_pic_order_cnt_lsb
      let rps: Rps | undefined;
      if (!r.flag()) rps = readRps(r, sps.rps.length, sps.rps, true);
      else rps = sps.rps[sps.rps.length > 1 ? r.bits(ceilLog2(sps.rps.length)) : 0];
      if (rps === undefined) throw new NalSyntaxError('the slice names a reference picture set the SPS does not have');
      numPicTotalCurr = [...rps.s0, ...rps.s1].filter((p) => p.used).length;
      if (sps.longTermRefPicsPresent) {
        const fromSps = sps.longTermUsed.length > 0 ? r.ue() : 0;
        const own = r.ue();
        if (fromSps + own > 32) throw new NalSyntaxError(`${fromSps + own} long-term pictures`);
        for (let i = 0; i < fromSps + own; i++) {
          let used: boolean;
          if (i < fromSps) used = sps.longTermUsed[sps.longTermUsed.length > 1 ? r.bits(ceilLog2(sps.longTermUsed.length)) : 0] ?? false;
          else {
            r.bits(sps.log2MaxPicOrderCntLsb); // poc_lsb_lt
            used = r.flag();
          }
          if (used) numPicTotalCurr++;
          if (r.flag()) r.ue(); // delta_poc_msb_present_flag, delta_poc_msb_cycle_lt
        }
      }
      if (sps.temporalMvp) temporalMvp = r.flag();
    }
    let saoLuma = false;
    let saoChroma = false;
    if (sps.sampleAdaptiveOffset) {
      saoLuma = r.flag();
      if (sps.chromaArrayType !== 0) saoChroma = r.flag();
    }
    if (sliceType === P || sliceType === B) {
      let l0 = pps.numRefIdxL0DefaultActiveMinus1;
      let l1 = pps.numRefIdxL1DefaultActiveMinus1;
      if (r.flag()) {
        l0 = r.ue();
        if (sliceType === B) l1 = r.ue();
      }
      if (l0 > 14 || l1 > 14) throw new NalSyntaxError(`num_ref_idx_active_minus1 ${Math.max(l0, l1)} is above 14`);
      if (pps.listsModificationPresent && numPicTotalCurr > 1) {
        const bits = ceilLog2(numPicTotalCurr);
        if (r.flag()) for (let i = 0; i <= l0; i++) r.bits(bits);
        if (sliceType === B && r.flag()) for (let i = 0; i <= l1; i++) r.bits(bits);
      }
      if (sliceType === B) r.bit(); // mvd_l1_zero_flag
      if (pps.cabacInitPresent) r.bit(); // cabac_init_flag
      if (temporalMvp) {
        const fromL0 = sliceType === B ? r.flag() : true;
        if ((fromL0 && l0 > 0) || (!fromL0 && l1 > 0)) r.ue(); // collocated_ref_idx
      }
      if ((pps.weightedPred && sliceType === P) || (pps.weightedBipred && sliceType === B)) {
        // pred_weight_table (7.3.6.3)
        r.ue(); // luma_log2_weight_denom
        if (sps.chromaArrayType !== 0) r.se(); // delta_chroma_log2_weight_denom
        for (const count of sliceType === B ? [l0, l1] : [l0]) {
          const luma: boolean[] = [];
          const chroma: boolean[] = [];
          for (let i = 0; i <= count; i++) luma.push(r.flag());
          if (sps.chromaArrayType !== 0) for (let i = 0; i <= count; i++) chroma.push(r.flag());
          for (let i = 0; i <= count; i++) {
            if (luma[i]) {
              r.se();
              r.se();
            }
            if (chroma[i]) for (let j = 0; j < 4; j++) r.se();
          }
        }
      }
      r.ue(); // five_minus_max_num_merge_cand
    }
    r.se(); // slice_qp_delta
    if (pps.sliceChromaQpOffsetsPresent) {
      r.se();
      r.se();
    }
    if (pps.chromaQpOffsetListEnabled) r.bit(); // cu_chroma_qp_offset_enabled_flag
    let deblockingDisabled = pps.deblockingDisabled;
    if (pps.deblockingOverrideEnabled && r.flag()) {
      // deblocking_filter_override_flag
      deblockingDisabled = r.flag();
      if (!deblockingDisabled) {
        r.se();
        r.se();
      }
    }
    if (pps.loopFilterAcrossSlices && (saoLuma || saoChroma || !deblockingDisabled)) r.bit();
  }
  if (pps.tilesOrEntropySync) {
    const n = r.ue();
    if (n > 0) {
      const len = r.ue() + 1;
      if (len > 32) throw new NalSyntaxError(`offset_len_minus1 ${len - 1} is above 31`);
      for (let i = 0; i < n; i++) r.bits(len);
    }
  }
  if (pps.sliceHeaderExtensionPresent) {
    const n = r.ue();
    for (let i = 0; i < n; i++) r.bits(8);
  }
  r.byteAlign();
  return r.consumed - HEADER;
}
