import { ErrorCode, SmoothpubError } from '../errors.js';
import type { EncryptionScheme, TrackEncryption } from './model.js';
import { NalSyntaxError } from './rbspReader.js';

/** Where a sample is, for error messages. */
export interface SampleWhere {
  file?: string;
  /** Absolute offset of the sample's first byte. */
  offset: number;
  /** 0-based sample number in its fragment (in its track without `fragment`). */
  sample: bigint;
  /** The fragment's number in its track. */
  fragment?: number;
}

/**
 * How many bytes after the NAL header of a slice NAL unit stay clear (its slice header),
 * or undefined when the NAL unit is not a slice and stays clear whole.
 */
export type SliceHeaderSize = (nal: Uint8Array) => number | undefined;

const MAX_CLEAR = 0xffff;

/**
 * Appends one video sample's subsamples (clear, protected pairs) to `out` and returns how
 * many it added. Each NAL unit's length prefix, NAL header and slice header are clear;
 * non-slice NAL units (SPS, PPS, SEI, AUD...) are clear whole and join the next clear run.
 * cenc: protected ranges are whole 16-byte blocks, the rest of a slice goes to its clear
 * part (CMAF, ISO/IEC 23000-19, for 'cenc' video). cbcs: the protected range starts
 * right after the slice header (CMAF), its partial last block stays clear by the pattern.
 * A clear run above 65535 bytes (the field is 16 bits) is split into several entries.
 */
export function addVideoSubsamples(
  sample: Uint8Array,
  video: NonNullable<TrackEncryption['video']>,
  scheme: EncryptionScheme,
  sliceHeaderSize: SliceHeaderSize,
  where: SampleWhere,
  out: number[],
): number {
  const lengthSize = video.nalLengthSize;
  const headerSize = video.codec === 'avc' ? 1 : 2;
  let count = 0;
  let clear = 0;
  let pos = 0;
  while (pos < sample.length) {
    if (pos + lengthSize > sample.length) throw badSample(where, `${sample.length - pos} bytes are left at its end, too few for a ${lengthSize}-byte NAL unit length`);
    let len = 0;
    for (let i = 0; i < lengthSize; i++) len = len * 256 + sample[pos + i]!;
    const start = pos + lengthSize;
    if (len < headerSize || start + len > sample.length) {
      throw badSample(where, `the NAL unit at byte ${pos} declares ${len} bytes but ${sample.length - start} remain (is the NAL length size ${lengthSize} right?)`);
    }
    const nal = sample.subarray(start, start + len);
    let sliceHeader: number | undefined;
    try {
      sliceHeader = sliceHeaderSize(nal);
    } catch (e) {
      if (!(e instanceof NalSyntaxError)) throw e;
      throw unparsableNal(where, pos, nal, video.codec, e);
    }
    const protectedBytes = protectedInNal(len, sliceHeader === undefined ? undefined : headerSize + sliceHeader, scheme);
    clear += lengthSize + len - protectedBytes;
    if (protectedBytes > 0) {
      count += pushPair(out, clear, protectedBytes);
      clear = 0;
    }
    pos = start + len;
  }
  if (clear > 0 || count === 0) count += pushPair(out, clear, 0);
  return count;
}

/**
 * The protected bytes of a NAL unit of `len` bytes whose first `clearInNal` (NAL and slice
 * headers) stay clear: none for a NAL unit that is not a slice (`undefined`); for cenc only
 * whole 16-byte blocks, the remainder joining the clear part.
 */
export function protectedInNal(len: number, clearInNal: number | undefined, scheme: EncryptionScheme): number {
  if (clearInNal === undefined) return 0;
  const protectedBytes = len - Math.min(len, clearInNal);
  return scheme === 'cenc' ? protectedBytes - (protectedBytes % 16) : protectedBytes;
}

/** The typed error for a NAL unit (at byte `at` of its sample) whose slice header cannot be parsed. */
export function unparsableNal(where: SampleWhere, at: number, nal: Uint8Array, codec: 'avc' | 'hevc', e: NalSyntaxError): SmoothpubError {
  return badSample(where, `its NAL unit at byte ${at} (type ${codec === 'avc' ? nal[0]! & 0x1f : (nal[0]! >> 1) & 0x3f}) cannot be parsed: ${e.message}`);
}

/** Where a fragment's samples are, for errors. */
export interface SamplesWhere {
  file?: string;
  /** Absolute offset of the body's first byte. */
  offset: number;
  /** The fragment's number in its track. */
  fragment: number;
}

/**
 * One SampleWhere for a whole walk over a fragment's samples, read only when a sample
 * cannot be laid out: its offset and number come from the walk's position (`at` in the
 * body, sample `i`) then (a BigInt a sample would cost more than the walk).
 */
export function sampleWhereAt(where: SamplesWhere, at: () => number, i: () => number): SampleWhere {
  return {
    ...(where.file !== undefined && { file: where.file }),
    get offset() {
      return where.offset + at();
    },
    get sample() {
      return BigInt(i());
    },
    fragment: where.fragment,
  };
}

/** The typed error for a sample (at `at` in the body) needing more subsamples than `senc` holds. */
export function tooManySubsamples(where: SamplesWhere, at: number, count: number): SmoothpubError {
  return new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, `cannot encrypt a sample with ${count} subsamples (at most 65535 fit in 'senc')`, { ...(where.file !== undefined && { file: where.file }), offset: where.offset + at });
}

/** Appends a (clear, protected) pair, a clear run above 65535 bytes (a 16-bit field) first split off; returns the pairs added. */
export function pushPair(out: number[], clear: number, protectedBytes: number): number {
  let added = 1;
  while (clear > MAX_CLEAR) {
    out.push(MAX_CLEAR, 0);
    clear -= MAX_CLEAR;
    added++;
  }
  out.push(clear, protectedBytes);
  return added;
}

export function badSample(where: SampleWhere, what: string): SmoothpubError {
  return new SmoothpubError(
    ErrorCode.ENCRYPT_BAD_SAMPLE,
    `cannot encrypt sample ${where.sample}${where.fragment === undefined ? '' : ` of fragment ${where.fragment}`}: ${what}; its clear ranges (NAL and slice headers) cannot be found`,
    where.file === undefined ? { offset: where.offset } : { file: where.file, offset: where.offset },
  );
}
