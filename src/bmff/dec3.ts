import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Cursor } from './cursor.js';
import { check } from './dac3.js';
import { type BoxInput, ByteWriter, box as makeBox } from './writer.js';

/** One independent substream of an E-AC-3 stream, with what its dependent substreams add. */
export interface Dec3Substream {
  /** Sampling rate code: 0 = 48 kHz, 1 = 44.1 kHz, 2 = 32 kHz (3: reduced rates, fscod2). */
  fscod: number;
  bsid: number;
  /** Associated service (asvc): this substream is mixed with a main one. */
  asvc: boolean;
  bsmod: number;
  /** Audio coding mode of the independent substream (TS 102 366 table 4.3). */
  acmod: number;
  lfeon: boolean;
  /** Dependent substreams: 0-15. */
  numDepSub: number;
  /**
   * With dependent substreams: the channel locations they add (TS 102 366 table F.6.3,
   * bit 0 = Lc/Rc, 1 = Lrs/Rrs, 2 = Cs, 3 = Ts, 4 = Lsd/Rsd, 5 = Lw/Rw, 6 = Vhl/Vhr,
   * 7 = Vhc, 8 = LFE2); 0 without.
   */
  chanLoc: number;
}

/**
 * EC3SpecificBox (ETSI TS 102 366 annex F.6): data_rate (kbit/s) 13 bits, num_ind_sub 3,
 * then per independent substream fscod 2, bsid 5, reserved 1, asvc 1, bsmod 3, acmod 3,
 * lfeon 1, reserved 3, num_dep_sub 4 and chan_loc 9 (with dependent substreams) or
 * reserved 1. Dolby's extension for Atmos in E-AC-3 (JOC) follows: reserved 7,
 * flag_ec3_extension_type_a 1 and, when set, complexity_index_type_a 8.
 */
export interface Dec3 {
  type: 'dec3';
  /** kbit/s. */
  dataRate: number;
  substreams: Dec3Substream[];
  /** The Atmos (JOC) extension byte is present: `flag_ec3_extension_type_a`. */
  ec3ExtensionTypeA?: boolean;
  /** With ec3ExtensionTypeA: the JOC complexity index (the object count HLS `CHANNELS` states). */
  complexityIndexTypeA?: number;
  /** Bytes after what the specification defines: kept so the box writes back as read. */
  trailing?: Uint8Array;
}

export function readDec3(c: Cursor): Dec3 {
  const head = c.u16();
  const count = (head & 0x7) + 1;
  const substreams: Dec3Substream[] = [];
  for (let i = 0; i < count; i++) {
    const bits = c.u24();
    const s: Dec3Substream = {
      fscod: bits >>> 22,
      bsid: (bits >>> 17) & 0x1f,
      asvc: ((bits >>> 15) & 1) === 1,
      bsmod: (bits >>> 12) & 0x7,
      acmod: (bits >>> 9) & 0x7,
      lfeon: ((bits >>> 8) & 1) === 1,
      numDepSub: (bits >>> 1) & 0xf,
      chanLoc: 0,
    };
    if (s.numDepSub > 0) s.chanLoc = ((bits & 1) << 8) | c.u8();
    substreams.push(s);
  }
  const box: Dec3 = { type: 'dec3', dataRate: head >>> 3, substreams };
  if (c.remaining > 0) {
    box.ec3ExtensionTypeA = (c.u8() & 1) === 1;
    if (box.ec3ExtensionTypeA) {
      if (c.remaining === 0) {
        throw new SmoothpubError(ErrorCode.TRUNCATED_BOX, 'dec3: flag_ec3_extension_type_a is set but complexity_index_type_a is missing', { offset: c.offset, boxPath: c.what });
      }
      box.complexityIndexTypeA = c.u8();
    }
  }
  if (c.remaining > 0) box.trailing = c.bytesOf(c.remaining);
  return box;
}

export function writeDec3(box: BoxInput<Dec3>): Uint8Array {
  const n = box.substreams.length;
  if (n < 1 || n > 8) throw new SmoothpubError(ErrorCode.BAD_BOX, `dec3: expected 1-8 independent substreams, found ${n}`, { boxPath: 'dec3' });
  check(box.dataRate, 0x1fff, 'data_rate', 'dec3');
  const extension = box.ec3ExtensionTypeA === undefined ? 0 : box.ec3ExtensionTypeA ? 2 : 1;
  const size = 2 + box.substreams.reduce((sum, s) => sum + (s.numDepSub > 0 ? 4 : 3), 0) + extension;
  const w = new ByteWriter(size, 'dec3').u16((box.dataRate << 3) | (n - 1), 'data_rate, num_ind_sub');
  for (const s of box.substreams) {
    check(s.fscod, 3, 'fscod', 'dec3');
    check(s.bsid, 31, 'bsid', 'dec3');
    check(s.bsmod, 7, 'bsmod', 'dec3');
    check(s.acmod, 7, 'acmod', 'dec3');
    check(s.numDepSub, 15, 'num_dep_sub', 'dec3');
    check(s.chanLoc, s.numDepSub > 0 ? 0x1ff : 0, 'chan_loc (0 without dependent substreams)', 'dec3');
    const bits = (s.fscod << 22) | (s.bsid << 17) | ((s.asvc ? 1 : 0) << 15) | (s.bsmod << 12) | (s.acmod << 9) | ((s.lfeon ? 1 : 0) << 8) | (s.numDepSub << 1) | (s.chanLoc >>> 8);
    w.u24(bits, 'substream');
    if (s.numDepSub > 0) w.u8(s.chanLoc & 0xff, 'chan_loc');
  }
  if (box.ec3ExtensionTypeA !== undefined) {
    w.u8(box.ec3ExtensionTypeA ? 1 : 0, 'flag_ec3_extension_type_a');
    if (box.ec3ExtensionTypeA) w.u8(box.complexityIndexTypeA ?? 0, 'complexity_index_type_a');
  }
  return makeBox('dec3', w.finish(), ...(box.trailing === undefined ? [] : [box.trailing]));
}
