import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Cursor } from './cursor.js';
import { type BoxInput, ByteWriter, box as makeBox } from './writer.js';

/**
 * AC3SpecificBox (ETSI TS 102 366 annex F.4): the AC-3 stream's configuration, copied from
 * its syncframe headers. 24 bits: fscod 2, bsid 5, bsmod 3, acmod 3, lfeon 1, bit_rate_code
 * 5, reserved 5.
 */
export interface Dac3 {
  type: 'dac3';
  /** Sampling rate code: 0 = 48 kHz, 1 = 44.1 kHz, 2 = 32 kHz (3 is reserved). */
  fscod: number;
  bsid: number;
  bsmod: number;
  /** Audio coding mode: the full-range channels (TS 102 366 table 4.3), 7 = 3/2 (L C R Ls Rs). */
  acmod: number;
  lfeon: boolean;
  /** Index into TS 102 366 table F.4.1: 32 ... 640 kbit/s. */
  bitRateCode: number;
  /** Bytes after the 3 defined ones (none in any writer seen): kept so the box writes back as read. */
  trailing?: Uint8Array;
}

/** kbit/s of each bit_rate_code (TS 102 366 table F.4.1). */
export const AC3_BIT_RATES = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640] as const;

export function readDac3(c: Cursor): Dac3 {
  const at = c.offset;
  const bits = c.u24();
  const box: Dac3 = {
    type: 'dac3',
    fscod: bits >>> 22,
    bsid: (bits >>> 17) & 0x1f,
    bsmod: (bits >>> 14) & 0x7,
    acmod: (bits >>> 11) & 0x7,
    lfeon: ((bits >>> 10) & 1) === 1,
    bitRateCode: (bits >>> 5) & 0x1f,
  };
  if (box.fscod === 3) throw new SmoothpubError(ErrorCode.BAD_BOX, 'dac3: fscod 3 is reserved (expected 0 = 48 kHz, 1 = 44.1 kHz or 2 = 32 kHz)', { offset: at, boxPath: c.what });
  if (box.bitRateCode >= AC3_BIT_RATES.length) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `dac3: bit_rate_code ${box.bitRateCode} is reserved (expected 0-${AC3_BIT_RATES.length - 1})`, { offset: at, boxPath: c.what });
  }
  if (c.remaining > 0) box.trailing = c.bytesOf(c.remaining);
  return box;
}

export function writeDac3(box: BoxInput<Dac3>): Uint8Array {
  const w = new ByteWriter(3, 'dac3');
  check(box.fscod, 3, 'fscod');
  check(box.bsid, 31, 'bsid');
  check(box.bsmod, 7, 'bsmod');
  check(box.acmod, 7, 'acmod');
  check(box.bitRateCode, 31, 'bit_rate_code');
  w.u24((box.fscod << 22) | (box.bsid << 17) | (box.bsmod << 14) | (box.acmod << 11) | ((box.lfeon ? 1 : 0) << 10) | (box.bitRateCode << 5), 'dac3 fields');
  return makeBox('dac3', w.finish(), ...(box.trailing === undefined ? [] : [box.trailing]));
}

/** A field that must fit its bits: a typed error naming it (as ByteWriter does for whole bytes). */
export function check(value: number, max: number, field: string, what = 'dac3'): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `${what}: ${field} must be an integer 0-${max}, found ${value}`, { boxPath: what });
  }
}
