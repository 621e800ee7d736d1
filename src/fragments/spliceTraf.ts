import { childBoxes, printable, readBoxHeader, type Box } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { TRUN_DATA_OFFSET } from '../bmff/trun.js';
import { ErrorCode, SmoothpubError } from '../errors.js';

/** The boxes of a fragment's one `traf` that an edit inside it must know about. */
export interface TrafParts {
  /** Bytes of the `moof` header (8, or 16 with a 64-bit size). */
  moofHeader: number;
  traf: Box;
  tfhd?: Box;
  truns: Box[];
  saios: Box[];
  /** Every child of the `traf`, in order. */
  children: Box[];
}

/**
 * The last `traf` of the `moof` at the start of `moof` (a Smooth fragment has exactly
 * one) and the children an edit must fix up; `offset` is where `moof` sits in its file,
 * for error messages.
 */
export function trafParts(moof: Uint8Array, offset: number): TrafParts {
  const header = readBoxHeader(new Cursor(moof, offset, 'fragment'), offset + moof.length, 'fragment');
  if (header.type !== 'moof') throw new SmoothpubError(ErrorCode.BAD_BOX, `expected a fragment to start with 'moof', found '${printable(header.type)}'`, { offset, boxPath: header.type });
  const moofHeader = header.headerSize;
  let traf: Box | undefined;
  for (const b of childBoxes(new Cursor(moof, offset, 'moof', moofHeader, header.size), 'moof')) if (b.type === 'traf') traf = b;
  if (!traf) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'moof' has no 'traf' box", { offset, boxPath: 'moof' });
  const parts: TrafParts = { moofHeader, traf, truns: [], saios: [], children: [] };
  for (const b of childBoxes(traf.payload, 'moof/traf')) {
    parts.children.push(b);
    if (b.type === 'tfhd') parts.tfhd = b;
    else if (b.type === 'trun') parts.truns.push(b);
    else if (b.type === 'saio') parts.saios.push(b);
  }
  return parts;
}

/** The flags of a `trun` (or any FullBox) inside `moof`. */
export function fullBoxFlags(moof: Uint8Array, box: Box, offset: number): number {
  const at = box.offset - offset + box.headerSize;
  return (moof[at + 1]! << 16) | (moof[at + 2]! << 8) | moof[at + 3]!;
}

/**
 * `fragment` (a `moof`, or a `moof` followed by its `mdat`) with the bytes [from, to) of its
 * `traf` replaced by `bytes` (from === to inserts): the `moof` and `traf` sizes and the
 * `trun` data offsets move by the difference, every other byte stays as it was, the
 * `mdat` included. The data offsets count from the `moof`'s first byte (tfhd without
 * base_data_offset: ffmpeg, IIS, Expression Encoder, GStreamer), so every sample moves.
 * An encrypted fragment's `saio` (ISO/IEC 14496-12 8.7.13) points at its sample
 * auxiliary information (the IVs in `senc` or PIFF's `uuid`) from the same base: an
 * offset past the edit moves too, so the `senc` after it is still found. `from` and `to`
 * are byte positions in `fragment`, on box boundaries of the `traf`'s children.
 */
export function spliceTraf(fragment: Uint8Array, offset: number, parts: TrafParts, from: number, to: number, bytes: Uint8Array): Uint8Array {
  const { traf, truns, saios } = parts;
  if (parts.moofHeader !== 8 || traf.headerSize !== 8) {
    throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, "cannot edit this fragment's 'traf': its 'moof' or 'traf' has a 64-bit size", { offset: traf.offset, boxPath: 'moof/traf' });
  }
  const delta = bytes.length - (to - from);
  const out = new Uint8Array(fragment.length + delta);
  out.set(fragment.subarray(0, from), 0);
  out.set(bytes, from);
  out.set(fragment.subarray(to), from + bytes.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const moved = (position: number): number => (position >= to ? position + delta : position);
  view.setUint32(0, view.getUint32(0) + delta);
  view.setUint32(traf.offset - offset, traf.size + delta);
  for (const trun of truns) {
    const start = trun.offset - offset;
    if (start >= from && start < to) continue;
    // trun: header, version and flags, sample_count, then data_offset when flagged.
    if (!(fullBoxFlags(fragment, trun, offset) & TRUN_DATA_OFFSET)) continue;
    const field = moved(start) + trun.headerSize + 8;
    view.setInt32(field, view.getInt32(field) + delta);
  }
  for (const saio of saios) {
    const start = saio.offset - offset;
    if (start >= from && start < to) continue;
    // saio: header, version and flags, [aux_info_type, parameter], entry_count, offsets (32 or 64 bits).
    let field = moved(start) + saio.headerSize;
    const version = out[field]!;
    const flags = (out[field + 1]! << 16) | (out[field + 2]! << 8) | out[field + 3]!;
    field += 4 + (flags & 1 ? 8 : 0);
    const count = view.getUint32(field);
    field += 4;
    if (field + count * (version === 0 ? 4 : 8) > moved(start) + saio.size) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `'saio' lists ${count} offsets, more than its ${saio.size} bytes hold`, { offset: saio.offset, boxPath: 'moof/traf/saio' });
    }
    for (let i = 0; i < count; i++, field += version === 0 ? 4 : 8) {
      if (version === 0) view.setUint32(field, moved(view.getUint32(field)));
      else {
        const v = view.getBigUint64(field);
        if (v >= BigInt(to)) view.setBigUint64(field, v + BigInt(delta));
      }
    }
  }
  return out;
}
