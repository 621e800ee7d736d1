import { type Box, childBoxes, readBoxHeader } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { UUID_PIFF_SENC } from '../bmff/piff.js';
import { writeSaio } from '../bmff/saio.js';
import { writeSaiz } from '../bmff/saiz.js';
import { SENC_USE_SUBSAMPLES } from '../bmff/sampleEncryption.js';
import { readTfhd, TFHD_BASE_DATA_OFFSET } from '../bmff/tfhd.js';
import { readTrun, TRUN_DATA_OFFSET } from '../bmff/trun.js';
import { box, fullBox, uuidBox } from '../bmff/writer.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { PayloadEncryption, ProtectedFragment, TrackEncryption } from './model.js';
import { encryptPayload } from './encryptPayload.js';
import { sliceHeaderSizeFor } from './sliceHeaderSize.js';
import { addVideoSubsamples, type SampleWhere } from './subsamples.js';

/** Where the fragment's body was read from, for error messages. */
export interface FragmentWhere {
  file?: string;
  /** Absolute offset of the body's first byte (its `moof`). */
  offset: number;
}

/**
 * A clear fragment (`moof` with one `traf` and data offsets relative to the `moof`, then
 * its `mdat`) made protected: a new head (the `moof` with `saiz` and `saio` (unless the
 * entries are empty), `senc` and, for cenc, PIFF's SampleEncryptionBox added to the
 * `traf`, `trun` data offsets moved by the bytes added; then whatever followed the `moof`
 * up to and including the `mdat` header) and how to encrypt the payload in place. The `mdat` keeps its size: the protected
 * fragment is `head.length` + the payload's length. `firstSample` is the track's number
 * of the fragment's first sample (cenc IVs count from it).
 */
export function protectFragment(body: Uint8Array, enc: TrackEncryption, firstSample: bigint, where: FragmentWhere): ProtectedFragment {
  const ctx = where.file === undefined ? {} : { file: where.file };
  const c = new Cursor(body, where.offset, 'fragment');
  const moof = readBoxHeader(c, where.offset + body.length);
  if (moof.type !== 'moof') throw new SmoothpubError(ErrorCode.BAD_BOX, `a fragment starts with 'moof', found '${moof.type}'`, { ...ctx, offset: where.offset });
  const moofEnd = moof.size;
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
    const b = readBoxHeader(c, where.offset + body.length, 'fragment');
    if (b.type === 'mdat') {
      mdatPayload = b.offset - where.offset + b.headerSize;
      mdatEnd = b.offset - where.offset + b.size;
      break;
    }
    c.skip(b.size - b.headerSize);
  }
  if (mdatPayload < 0) throw new SmoothpubError(ErrorCode.MISSING_BOX, "the fragment has no 'mdat' after its 'moof'", { ...ctx, offset: where.offset + moofEnd });

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
    const trun = readTrun(b.payload);
    if (!(trun.flags & TRUN_DATA_OFFSET) || trun.dataOffset === undefined) throw unsupported("a 'trun' without a data_offset", b.offset, ctx);
    if (start < 0) start = trun.dataOffset;
    else if (trun.dataOffset !== next) throw unsupported("'trun's whose samples are not one after another", b.offset, ctx);
    next = trun.dataOffset;
    for (let i = 0; i < trun.sampleCount; i++) {
      const size = trun.samples[i]?.size ?? tfhd.defaultSampleSize;
      if (size === undefined) throw unsupported("samples whose sizes are in neither 'trun' nor 'tfhd' (only in the init segment's 'trex')", b.offset, ctx);
      sizes.push(size);
      next += size;
    }
  }
  if (start < 0) start = mdatPayload;
  const payloadLength = mdatEnd - mdatPayload;
  const total = sizes.reduce((s, v) => s + v, 0);
  const startInPayload = start - mdatPayload;
  if (startInPayload < 0 || startInPayload + total > payloadLength) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `the fragment's samples (${total} bytes at moof offset ${start}) are not inside its mdat payload (${payloadLength} bytes at moof offset ${mdatPayload})`, { ...ctx, offset: where.offset });
  }

  // Encryption of each sample.
  const n = sizes.length;
  const ivs = new Uint8Array(16 * n);
  const ivSize = enc.scheme === 'cenc' ? 8 : 0;
  const view = new DataView(ivs.buffer);
  if (enc.scheme === 'cenc') {
    // ivBase + firstSample + i (mod 2^64) as two 32-bit halves: one BigInt sum a fragment, not one a sample.
    const base = BigInt.asUintN(64, enc.ivBase + firstSample);
    const hi = Number(base >> 32n);
    const lo = Number(base & 0xffffffffn);
    for (let i = 0; i < n; i++) {
      const l = lo + i;
      view.setUint32(16 * i, (hi + Math.floor(l / 0x100000000)) >>> 0);
      view.setUint32(16 * i + 4, l >>> 0);
    }
  } else {
    const civ = constantIv(enc);
    for (let i = 0; i < n; i++) ivs.set(civ, 16 * i);
  }
  const encryption: PayloadEncryption = { scheme: enc.scheme, key: enc.key.key, start: startInPayload, sampleSizes: Uint32Array.from(sizes), ivs };
  if (enc.pattern !== undefined) encryption.pattern = { ...enc.pattern };
  let subsampleCounts: Uint16Array | undefined;
  let pairs: number[] | undefined;
  if (enc.video !== undefined) {
    const sliceHeaderSize = sliceHeaderSizeFor(enc.video);
    subsampleCounts = new Uint16Array(n);
    pairs = [];
    let at = mdatPayload + startInPayload;
    // One object for every sample's whereabouts (read only when a sample cannot be laid out).
    const sampleWhere: SampleWhere = { ...ctx, offset: 0, sample: 0n };
    for (let i = 0; i < n; i++) {
      const size = sizes[i]!;
      sampleWhere.offset = where.offset + at;
      sampleWhere.sample = firstSample + BigInt(i);
      const count = addVideoSubsamples(body.subarray(at, at + size), enc.video, enc.scheme, sliceHeaderSize, sampleWhere, pairs);
      if (count > 0xffff) throw unsupported(`a sample with ${count} subsamples (at most 65535 fit in 'senc')`, where.offset + at, ctx);
      subsampleCounts[i] = count;
      at += size;
    }
    encryption.subsamples = Uint32Array.from(pairs);
    encryption.subsampleCounts = subsampleCounts;
  }

  // senc entries (the same bytes in senc and PIFF's box), written straight from the IVs and pairs.
  const flags = pairs === undefined ? 0 : SENC_USE_SUBSAMPLES;
  const infoSizes = new Uint32Array(n);
  let entriesSize = 4;
  for (let i = 0; i < n; i++) {
    infoSizes[i] = ivSize + (subsampleCounts === undefined ? 0 : 2 + 6 * subsampleCounts[i]!);
    entriesSize += infoSizes[i]!;
  }
  const entries = new Uint8Array(entriesSize);
  const ev = new DataView(entries.buffer);
  ev.setUint32(0, n);
  let e = 4;
  let pair = 0;
  for (let i = 0; i < n; i++) {
    entries.set(ivs.subarray(16 * i, 16 * i + ivSize), e);
    e += ivSize;
    if (subsampleCounts === undefined || pairs === undefined) continue;
    const count = subsampleCounts[i]!;
    ev.setUint16(e, count);
    e += 2;
    for (let k = 0; k < count; k++, pair++) {
      ev.setUint16(e, pairs[2 * pair]!);
      ev.setUint32(e + 2, pairs[2 * pair + 1]!);
      e += 6;
    }
  }
  const same = infoSizes.every((s) => s === infoSizes[0]);
  const senc = fullBox('senc', 0, flags, entries);
  const added = [senc];
  // Entries of 0 bytes (cbcs audio: constant IV, whole samples) leave saiz/saio nothing to
  // describe: Shaka Packager writes only the senc then, and so does this.
  if (infoSizes.some((s) => s !== 0)) {
    const saiz = writeSaiz({ flags: 0, defaultSampleInfoSize: same ? infoSizes[0]! : 0, sampleCount: n, sampleSizes: same ? [] : [...infoSizes] });
    added.unshift(saiz, writeSaio({ version: 0, flags: 0, offsets: [0] })); // saio patched below
  }
  // PIFF 1.1 knows AES-CTR only: its box is for cenc (old Smooth clients' PlayReady).
  if (enc.scheme === 'cenc') added.push(uuidBox(UUID_PIFF_SENC, 0, flags, entries));

  const newTraf = box('traf', ...trafChildren.map((b) => body.subarray(b.offset - where.offset, b.offset - where.offset + b.size)), ...added);
  const newMoof = box('moof', ...moofChildren.map((b) => (b === traf ? newTraf : body.subarray(b.offset - where.offset, b.offset - where.offset + b.size))));
  const delta = newMoof.length - moof.size;

  // Patch the data offsets and saio in the new moof, found by walking it.
  const out = new DataView(newMoof.buffer, newMoof.byteOffset, newMoof.byteLength);
  const nc = new Cursor(newMoof, 0, 'moof');
  const nm = readBoxHeader(nc, newMoof.length);
  for (const t of childBoxes(nc.sub(nm.size - nm.headerSize, 'moof'), 'moof')) {
    if (t.type !== 'traf') continue;
    let sencAt = -1;
    let saioAt = -1;
    for (const b of childBoxes(t.payload, 'moof/traf')) {
      if (b.type === 'trun') {
        const at = b.offset + b.headerSize + 8; // after version, flags and sample_count
        out.setInt32(at, out.getInt32(at) + delta);
      } else if (b.type === 'senc') sencAt = b.offset + b.headerSize + 8; // the first entry, after version, flags and sample_count
      else if (b.type === 'saio') saioAt = b.offset + b.headerSize + 8; // the offset, after version, flags and entry_count
    }
    if (saioAt >= 0) out.setUint32(saioAt, sencAt);
  }

  const head = new Uint8Array(newMoof.length + mdatPayload - moofEnd);
  head.set(newMoof, 0);
  head.set(body.subarray(moofEnd, mdatPayload), newMoof.length);
  return { head, payloadStart: mdatPayload, encryption, sampleCount: n };
}

/** The whole protected fragment: protectFragment's head, then the payload encrypted (the body is not changed). */
export function encryptedFragment(body: Uint8Array, enc: TrackEncryption, firstSample: bigint, where: FragmentWhere): Uint8Array {
  const p = protectFragment(body, enc, firstSample, where);
  const out = new Uint8Array(p.head.length + body.length - p.payloadStart);
  out.set(p.head, 0);
  const payload = out.subarray(p.head.length);
  payload.set(body.subarray(p.payloadStart));
  encryptPayload(payload, p.encryption);
  return out;
}

function constantIv(enc: TrackEncryption): Uint8Array {
  if (enc.constantIv === undefined || enc.constantIv.length !== 16) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, 'cbcs needs a 16-byte constant IV for the track (trackEncryptionFor gives one)');
  }
  return enc.constantIv;
}

function unsupported(what: string, offset: number, ctx: { file?: string }): SmoothpubError {
  return new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, `cannot encrypt ${what}`, { ...ctx, offset });
}
