import { NalSyntaxError, RbspReader } from './rbspReader.js';

/** The SPS fields an H.264 slice header's syntax depends on (ITU-T H.264 7.3.2.1.1). */
export interface AvcSps {
  id: number;
  chromaArrayType: number;
  separateColourPlane: boolean;
  log2MaxFrameNum: number;
  picOrderCntType: number;
  log2MaxPicOrderCntLsb: number;
  deltaPicOrderAlwaysZero: boolean;
  frameMbsOnly: boolean;
}

/** The PPS fields an H.264 slice header's syntax depends on (7.3.2.2). */
export interface AvcPps {
  id: number;
  spsId: number;
  entropyCodingMode: boolean;
  bottomFieldPicOrderInFramePresent: boolean;
  numRefIdxL0DefaultActiveMinus1: number;
  numRefIdxL1DefaultActiveMinus1: number;
  weightedPred: boolean;
  weightedBipredIdc: number;
  deblockingFilterControlPresent: boolean;
  redundantPicCntPresent: boolean;
}

/** Profiles whose SPS carries chroma format, bit depths and scaling matrices (7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an SPS NAL unit (header byte included). */
export function parseAvcSps(nal: Uint8Array): AvcSps {
  const r = new RbspReader(nal, 1);
  const profile = r.bits(8);
  r.bits(16); // constraint flags, reserved, level_idc
  const id = r.ue();
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  if (HIGH_PROFILES.has(profile)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.bit(); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      // seq_scaling_matrix_present_flag: skip the lists (7.3.2.1.1.1).
      for (let i = 0; i < (chromaFormatIdc !== 3 ? 8 : 12); i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  const log2MaxFrameNum = r.ue() + 4;
  const picOrderCntType = r.ue();
  let log2MaxPicOrderCntLsb = 0;
  let deltaPicOrderAlwaysZero = false;
  if (picOrderCntType === 0) {
    log2MaxPicOrderCntLsb = r.ue() + 4;
  } else if (picOrderCntType === 1) {
    deltaPicOrderAlwaysZero = r.flag();
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = r.ue();
    if (cycle > 255) throw new NalSyntaxError(`SPS num_ref_frames_in_pic_order_cnt_cycle ${cycle} is above 255`);
    for (let i = 0; i < cycle; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.bit(); // gaps_in_frame_num_value_allowed_flag
  r.ue(); // pic_width_in_mbs_minus1
  r.ue(); // pic_height_in_map_units_minus1
  const frameMbsOnly = r.flag();
  return { id, chromaArrayType: separateColourPlane ? 0 : chromaFormatIdc, separateColourPlane, log2MaxFrameNum, picOrderCntType, log2MaxPicOrderCntLsb, deltaPicOrderAlwaysZero, frameMbsOnly };
}

function skipScalingList(r: RbspReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Parses a PPS NAL unit (header byte included). */
export function parseAvcPps(nal: Uint8Array): AvcPps {
  const r = new RbspReader(nal, 1);
  const id = r.ue();
  const spsId = r.ue();
  const entropyCodingMode = r.flag();
  const bottomFieldPicOrderInFramePresent = r.flag();
  const sliceGroups = r.ue() + 1;
  if (sliceGroups > 1) throw new NalSyntaxError(`PPS ${id} has ${sliceGroups} slice groups (FMO, Baseline extended): not supported`);
  const numRefIdxL0DefaultActiveMinus1 = r.ue();
  const numRefIdxL1DefaultActiveMinus1 = r.ue();
  const weightedPred = r.flag();
  const weightedBipredIdc = r.bits(2);
  r.se(); // pic_init_qp_minus26
  r.se(); // pic_init_qs_minus26
  r.se(); // chroma_qp_index_offset
  const deblockingFilterControlPresent = r.flag();
  r.bit(); // constrained_intra_pred_flag
  const redundantPicCntPresent = r.flag();
  return { id, spsId, entropyCodingMode, bottomFieldPicOrderInFramePresent, numRefIdxL0DefaultActiveMinus1, numRefIdxL1DefaultActiveMinus1, weightedPred, weightedBipredIdc, deblockingFilterControlPresent, redundantPicCntPresent };
}

/** The parameter sets seen so far, by id (from avcC, then in-band ones as they come). */
export interface AvcParameterSets {
  sps: Map<number, AvcSps>;
  pps: Map<number, AvcPps>;
}

const P = 0;
const B = 1;
const I = 2;
const SP = 3;
const SI = 4;

/**
 * The size in bytes of a coded slice's header (ITU-T H.264 7.3.3), counted from the byte
 * after the NAL header, through the byte holding its last bit (emulation prevention
 * bytes included): the part that stays clear. `nal` starts with the NAL header byte.
 */
export function avcSliceHeaderSize(nal: Uint8Array, sets: AvcParameterSets): number {
  const nalType = nal[0]! & 0x1f;
  const nalRefIdc = (nal[0]! >> 5) & 3;
  const r = new RbspReader(nal, 1);
  r.ue(); // first_mb_in_slice
  const sliceType = r.ue();
  if (sliceType > 9) throw new NalSyntaxError(`slice_type ${sliceType} is above 9`);
  const type = sliceType % 5;
  const ppsId = r.ue();
  const pps = sets.pps.get(ppsId);
  if (pps === undefined) throw new NalSyntaxError(`the slice names PPS ${ppsId}, which neither the avcC nor the sample carries`);
  const sps = sets.sps.get(pps.spsId);
  if (sps === undefined) throw new NalSyntaxError(`PPS ${ppsId} names SPS ${pps.spsId}, which neither the avcC nor the sample carries`);
  if (sps.separateColourPlane) r.bits(2); // colour_plane_id
  r.bits(sps.log2MaxFrameNum); // frame_num
  let fieldPic = false;
  if (!sps.frameMbsOnly) {
    fieldPic = r.flag();
    if (fieldPic) r.bit(); // bottom_field_flag
  }
  if (nalType === 5) r.ue(); // idr_pic_id
  if (sps.picOrderCntType === 0) {
    r.bits(sps.log2MaxPicOrderCntLsb); // pic_order_cnt_lsb
    if (pps.bottomFieldPicOrderInFramePresent && !fieldPic) r.se(); // delta_pic_order_cnt_bottom
  }
  if (sps.picOrderCntType === 1 && !sps.deltaPicOrderAlwaysZero) {
    r.se(); // delta_pic_order_cnt[0]
    if (pps.bottomFieldPicOrderInFramePresent && !fieldPic) r.se();
  }
  if (pps.redundantPicCntPresent) r.ue(); // redundant_pic_cnt
  if (type === B) r.bit(); // direct_spatial_mv_pred_flag
  let l0 = pps.numRefIdxL0DefaultActiveMinus1;
  let l1 = pps.numRefIdxL1DefaultActiveMinus1;
  if (type === P || type === SP || type === B) {
    if (r.flag()) {
      // num_ref_idx_active_override_flag
      l0 = r.ue();
      if (type === B) l1 = r.ue();
    }
  }
  const maxRefs = fieldPic ? 32 : 16;
  if (l0 >= maxRefs || l1 >= maxRefs) throw new NalSyntaxError(`num_ref_idx_active_minus1 ${Math.max(l0, l1)} is out of range`);
  // ref_pic_list_modification (7.3.3.1)
  if (type !== I && type !== SI) skipRefPicListModification(r);
  if (type === B) skipRefPicListModification(r);
  if ((pps.weightedPred && (type === P || type === SP)) || (pps.weightedBipredIdc === 1 && type === B)) {
    // pred_weight_table (7.3.3.2)
    r.ue(); // luma_log2_weight_denom
    if (sps.chromaArrayType !== 0) r.ue(); // chroma_log2_weight_denom
    for (const count of type === B ? [l0, l1] : [l0]) {
      for (let i = 0; i <= count; i++) {
        if (r.flag()) {
          r.se();
          r.se();
        }
        if (sps.chromaArrayType !== 0 && r.flag()) for (let j = 0; j < 4; j++) r.se();
      }
    }
  }
  if (nalRefIdc !== 0) {
    // dec_ref_pic_marking (7.3.3.3)
    if (nalType === 5) {
      r.bit(); // no_output_of_prior_pics_flag
      r.bit(); // long_term_reference_flag
    } else if (r.flag()) {
      // adaptive_ref_pic_marking_mode_flag
      for (let n = 0; ; n++) {
        const op = r.ue();
        if (op === 0) break;
        if (op > 6 || n > 64) throw new NalSyntaxError(`memory_management_control_operation ${op} is invalid`);
        if (op === 1 || op === 3) r.ue(); // difference_of_pic_nums_minus1
        if (op === 2) r.ue(); // long_term_pic_num
        if (op === 3 || op === 6) r.ue(); // long_term_frame_idx
        if (op === 4) r.ue(); // max_long_term_frame_idx_plus1
      }
    }
  }
  if (pps.entropyCodingMode && type !== I && type !== SI) r.ue(); // cabac_init_idc
  r.se(); // slice_qp_delta
  if (type === SP || type === SI) {
    if (type === SP) r.bit(); // sp_for_switch_flag
    r.se(); // slice_qs_delta
  }
  if (pps.deblockingFilterControlPresent) {
    if (r.ue() !== 1) {
      // disable_deblocking_filter_idc
      r.se(); // slice_alpha_c0_offset_div2
      r.se(); // slice_beta_offset_div2
    }
  }
  return r.consumed - 1;
}

function skipRefPicListModification(r: RbspReader): void {
  if (!r.flag()) return; // ref_pic_list_modification_flag_lX
  for (let n = 0; ; n++) {
    const idc = r.ue();
    if (idc === 3) return;
    if (idc > 5 || n > 64) throw new NalSyntaxError(`modification_of_pic_nums_idc ${idc} is invalid`);
    r.ue(); // abs_diff_pic_num_minus1 or long_term_pic_num
  }
}
