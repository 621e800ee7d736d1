import { type Box, type BoxHeader, childBoxes, readBoxHeader } from '../bmff/box.js';
import { Cursor, readFullBoxHeader } from '../bmff/cursor.js';
import { UUID_PIFF_SENC } from '../bmff/piff.js';
import { readTfhd, TFHD_BASE_DATA_OFFSET } from '../bmff/tfhd.js';
import { TRUN_DATA_OFFSET, TRUN_FIRST_SAMPLE_FLAGS, TRUN_SAMPLE_CTO, TRUN_SAMPLE_DURATION, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_SIZE } from '../bmff/trun.js';
import { ErrorCode, SmoothpubError } from '../errors.js';

/** Where the fragment's body was read from, for error messages. */
export interface FragmentWhere {
  file?: string;
  /** Absolute offset of the body's first byte (its `moof`). */
  offset: number;
}

/** A clear fragment's boxes and samples, as protectFragment lays them out. */
export interface FragmentSamples {
  moof: BoxHeader;
  moofChildren: Box[];
  traf: Box;
  trafChildren: Box[];
  /** Offsets in the body: the `mdat` payload's first byte, and the byte after the `mdat`. */
  mdatPayload: number;
  mdatEnd: number;
  /** Every sample's size, in order, one after another from `start`. */
  sizes: number[];
  /** Offset of the first sample in the body. */
  start: number;
}

/**
 * The boxes and samples of a clear fragment (`moof` with one `traf` and data offsets
 * relative to the `moof`, then its `mdat`), checked as protectFragment needs them. `body`
 * must hold at least everything before the `mdat` payload; `bodyLength` is the whole
 * fragment's (serve measures a protected size from the head and a few bytes of each
 * sample: the payload is never looked at here).
 */
export function readFragmentSamples(body: Uint8Array, where: FragmentWhere, bodyLength = body.length): FragmentSamples {
  const ctx = where.file === undefined ? {} : { file: where.file };
  const limit = where.offset + bodyLength;
  const c = new Cursor(body, where.offset, 'fragment');
  const moof = readBoxHeader(c, limit);
  if (moof.type !== 'moof') throw new SmoothpubError(ErrorCode.BAD_BOX, `a fragment starts with 'moof', found '${moof.type}'`, { ...ctx, offset: where.offset });
  let traf: Box | undefined;
  const moofChildren: Box[] = [];
  for (const child of childBoxes(c.sub(moof.size - moof.headerSize, 'moof'), 'moof')) {
    moofChildren.push(child);
    if (child.type !== 'traf') continue;
    if (traf !== undefined) throw unsupported('a moof with more than one traf (one track a fragment, as Smooth has it)', child.offset, ctx);
    traf = child;
  }
  if (traf === undefined) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'moof' has no 'traf' box", { ...ctx, offset: where.offset, boxPath: 'moof' });

  // The mdat, after anything else between it and the moof.
  let mdatPayload = -1;
  let mdatEnd = -1;
  while (c.remaining > 0) {
    const b = readBoxHeader(c, limit, 'fragment');
    if (b.type === 'mdat') {
      mdatPayload = b.offset - where.offset + b.headerSize;
      mdatEnd = b.offset - where.offset + b.size;
      break;
    }
    c.skip(b.size - b.headerSize);
  }
  if (mdatPayload < 0) throw new SmoothpubError(ErrorCode.MISSING_BOX, "the fragment has no 'mdat' after its 'moof'", { ...ctx, offset: where.offset + moof.size });

  // Samples: sizes and where they start, from tfhd and the truns.
  const trafChildren = [...childBoxes(new Cursor(body, where.offset, 'moof/traf', traf.payload.pos, traf.payload.end), 'moof/traf')];
  const tfhdBox = trafChildren.find((b) => b.type === 'tfhd');
  if (tfhdBox === undefined) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'traf' has no 'tfhd' box", { ...ctx, offset: traf.offset, boxPath: 'moof/traf' });
  const tfhd = readTfhd(tfhdBox.payload);
  if (tfhd.flags & TFHD_BASE_DATA_OFFSET) throw unsupported("a 'tfhd' with an absolute base_data_offset (data offsets must count from the moof)", tfhdBox.offset, ctx);
  for (const b of trafChildren) {
    if (b.type === 'senc' || b.type === 'saiz' || b.type === 'saio' || b.uuid === UUID_PIFF_SENC) {
      throw unsupported(`a fragment that is already encrypted ('${b.uuid === undefined ? b.type : 'PIFF sample encryption'}' in its traf)`, b.offset, ctx);
    }
  }
  const sizes: number[] = [];
  let start = -1;
  let next = -1;
  for (const b of trafChildren) {
    if (b.type !== 'trun') continue;
    const before = sizes.length;
    const first = trunSampleSizes(b, tfhd.defaultSampleSize, sizes, ctx);
    if (start < 0) start = first;
    else if (first !== next) throw unsupported("'trun's whose samples are not one after another", b.offset, ctx);
    next = first;
    for (let i = before; i < sizes.length; i++) next += sizes[i]!;
  }
  if (start < 0) start = mdatPayload;
  const payloadLength = mdatEnd - mdatPayload;
  let total = 0;
  for (let i = 0; i < sizes.length; i++) total += sizes[i]!;
  if (start < mdatPayload || start - mdatPayload + total > payloadLength) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `the fragment's samples (${total} bytes at moof offset ${start}) are not inside its mdat payload (${payloadLength} bytes at moof offset ${mdatPayload})`, { ...ctx, offset: where.offset });
  }
  return { moof, moofChildren, traf, trafChildren, mdatPayload, mdatEnd, sizes, start };
}

/** Appends a trun's sample sizes to `sizes` (the tfhd default where it has none) and returns its data_offset. */
function trunSampleSizes(b: Box, defaultSize: number | undefined, sizes: number[], ctx: { file?: string }): number {
  const c = b.payload;
  const { flags } = readFullBoxHeader(c);
  const count = c.u32();
  if (!(flags & TRUN_DATA_OFFSET)) throw unsupported("a 'trun' without a data_offset", b.offset, ctx);
  const dataOffset = c.i32();
  if (flags & TRUN_FIRST_SAMPLE_FLAGS) c.skip(4);
  const before = flags & TRUN_SAMPLE_DURATION ? 4 : 0;
  const hasSize = (flags & TRUN_SAMPLE_SIZE) !== 0;
  const perSample = before + (hasSize ? 4 : 0) + (flags & TRUN_SAMPLE_FLAGS ? 4 : 0) + (flags & TRUN_SAMPLE_CTO ? 4 : 0);
  // The whole table must fit before anything is read from it (a corrupt count).
  c.need(perSample * count);
  if (!hasSize) {
    if (defaultSize === undefined && count > 0) throw unsupported("samples whose sizes are in neither 'trun' nor 'tfhd' (only in the init segment's 'trex')", b.offset, ctx);
    for (let i = 0; i < count; i++) sizes.push(defaultSize!);
    return dataOffset;
  }
  const bytes = c.bytes;
  let at = c.pos + before;
  for (let i = 0; i < count; i++, at += perSample) sizes.push(((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0);
  return dataOffset;
}

export function unsupported(what: string, offset: number, ctx: { file?: string }): SmoothpubError {
  return new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, `cannot encrypt ${what}`, { ...ctx, offset });
}
