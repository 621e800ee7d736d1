// Builds a PlayReady PIFF ISMV (the way IIS-era encoders wrote protected Smooth) from Shaka
// Packager's CENC output of one track, because no tool installed here writes PIFF: every
// `mdat` is copied as it is, so the samples stay encrypted with the same key and IVs, and
// only the boxes around them change (scripts/make-fixtures.sh, section `protected`):
//   ftyp   `isml`, compatible `piff`, `iso2`
//   moov   the `pssh` boxes become one PIFF ProtectionSystemSpecificHeaderBox (uuid
//          d08a4f18-...) holding the PlayReady pssh's data (a PlayReady Object); the
//          sample entry keeps its `sinf` (`frma`, `schm` cenc, `tenc`)
//   traf   tfhd (default-base-is-moof cleared: offsets from the moof, as in PIFF 1.1),
//          trun (data offset moved), then with `auxInfo` `saiz` and `saio` (pointing at the
//          uuid box's first IV, as PIFF 1.3 writers do), the PIFF SampleEncryptionBox (uuid
//          a2394f52-..., the `senc` payload as it was), and `tfxd`; no `tfdt`, no `senc`.
// Run: node dist/test/harness/piffFixture.js <in.mp4> <out.ismv> [--aux-info]
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { childBoxes, type Box } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readTfdt } from '../../src/bmff/tfdt.js';
import { readTfhd, TFHD_DEFAULT_BASE_IS_MOOF, TFHD_DEFAULT_SAMPLE_DURATION } from '../../src/bmff/tfhd.js';
import { readTrun } from '../../src/bmff/trun.js';
import { readTrex } from '../../src/bmff/trex.js';
import { writeTfxd } from '../../src/bmff/tfxd.js';
import { box, uuidBox } from '../../src/bmff/writer.js';

export const UUID_PIFF_SAMPLE_ENCRYPTION = 'a2394f525a9b4f14a2446c427c648df4';
export const UUID_PIFF_PROTECTION_HEADER = 'd08a4f1810f34a82b6c832d8aba183d3';
const PLAYREADY = '9a04f07998404286ab92e65be0885f95';

export interface PiffOptions {
  /** Keep `saiz`/`saio` (PIFF 1.3 style) beside the uuid box; without: PIFF 1.1 (uuid only). */
  auxInfo?: boolean;
}

export function buildPiff(input: Uint8Array, options: PiffOptions = {}): Uint8Array {
  const out: Uint8Array[] = [box('ftyp', ascii('isml'), u32(1), ascii('isml'), ascii('piff'), ascii('iso2'))];
  let trexDuration = 0;
  for (const top of childBoxes(new Cursor(input, 0, 'file'), 'file')) {
    if (top.type === 'moov') {
      trexDuration = trexDefaultDuration(input, top);
      out.push(piffMoov(input, top));
    } else if (top.type === 'moof') out.push(piffMoof(input, top, trexDuration, options));
    else if (top.type === 'mdat') out.push(raw(input, top));
    // ftyp (replaced), sidx (an index of the old moof sizes), free: dropped
  }
  return concat(out);
}

function trexDefaultDuration(input: Uint8Array, moov: Box): number {
  for (const b of childBoxes(new Cursor(input, moov.payload.base, 'moov', moov.payload.pos, moov.payload.end), 'moov')) {
    if (b.type !== 'mvex') continue;
    for (const t of childBoxes(b.payload, 'mvex')) if (t.type === 'trex') return readTrex(t.payload).defaultSampleDuration;
  }
  return 0;
}

function piffMoov(input: Uint8Array, moov: Box): Uint8Array {
  const children: Uint8Array[] = [];
  let header: Uint8Array | undefined;
  for (const b of childBoxes(moov.payload, 'moov')) {
    if (b.type === 'pssh') {
      const c = b.payload;
      const version = c.u8();
      c.skip(3);
      const systemId = hex(c.bytesOf(16));
      if (version > 0) c.skip(16 * c.u32());
      const data = c.bytesOf(c.u32());
      if (systemId === PLAYREADY) header = uuidBox(UUID_PIFF_PROTECTION_HEADER, 0, 0, bytesOfHex(PLAYREADY), u32(data.length), data);
    } else if (b.type !== 'meta') {
      children.push(raw(input, b));
    }
  }
  if (header === undefined) throw new Error('the input has no PlayReady pssh (run Shaka Packager with --protection_systems PlayReady)');
  return box('moov', ...children, header);
}

function piffMoof(input: Uint8Array, moof: Box, trexDuration: number, options: PiffOptions): Uint8Array {
  const mfhd: Uint8Array[] = [];
  let traf: Box | undefined;
  for (const b of childBoxes(moof.payload, 'moof')) {
    if (b.type === 'traf') traf = b;
    else mfhd.push(raw(input, b));
  }
  if (!traf) throw new Error('moof without traf');
  const parts = new Map<string, Box>();
  for (const b of childBoxes(traf.payload, 'traf')) parts.set(b.type, b);
  const need = (t: string): Box => {
    const b = parts.get(t);
    if (!b) throw new Error(`traf without ${t}`);
    return b;
  };
  const tfhdBox = need('tfhd');
  const tfhd = readTfhd(need('tfhd').payload);
  const tfhdBytes = raw(input, tfhdBox).slice();
  // flags are bytes 9..11 of the box
  const flags = tfhd.flags & ~TFHD_DEFAULT_BASE_IS_MOOF;
  tfhdBytes[9] = (flags >> 16) & 0xff;
  tfhdBytes[10] = (flags >> 8) & 0xff;
  tfhdBytes[11] = flags & 0xff;
  const time = readTfdt(need('tfdt').payload).baseMediaDecodeTime;
  const trun = readTrun(need('trun').payload);
  const defaultDuration = tfhd.flags & TFHD_DEFAULT_SAMPLE_DURATION ? (tfhd.defaultSampleDuration ?? trexDuration) : trexDuration;
  const duration = trun.samples.length === 0 ? BigInt(trun.sampleCount * defaultDuration) : trun.samples.reduce((s, x) => s + BigInt(x.duration ?? defaultDuration), 0n);
  const senc = need('senc');
  const sencPayload = raw(input, senc).subarray(senc.headerSize);
  const flagsOfSenc = sencPayload[3]!;
  const uuid = uuidBox(UUID_PIFF_SAMPLE_ENCRYPTION, sencPayload[0]!, flagsOfSenc, sencPayload.subarray(4));
  const trunBytes = raw(input, need('trun')).slice();
  const tfxd = writeTfxd({ version: 1, time, duration });
  const saiz = options.auxInfo === true ? raw(input, need('saiz')) : new Uint8Array(0);
  // saio version 0, flags 0, entry_count 1, offset patched below
  const saio = options.auxInfo === true ? box('saio', u32(0), u32(1), u32(0)) : new Uint8Array(0);
  const trafBody = [tfhdBytes, trunBytes, saiz, saio, uuid, tfxd];
  const trafBytes = box('traf', ...trafBody);
  const moofBytes = box('moof', ...mfhd, trafBytes);
  const view = new DataView(moofBytes.buffer, moofBytes.byteOffset, moofBytes.byteLength);
  const trafAt = 8 + mfhd.reduce((s, m) => s + m.length, 0);
  const trunAt = trafAt + 8 + tfhdBytes.length;
  // trun: header 8, version/flags 4, sample_count 4, data_offset: the mdat payload after this moof
  view.setInt32(trunAt + 16, moofBytes.length + 8);
  if (options.auxInfo === true) {
    const saioAt = trunAt + trunBytes.length + saiz.length;
    const uuidAt = saioAt + saio.length;
    // the first IV: after the uuid box's 24-byte header, version/flags and sample_count
    view.setUint32(saioAt + 16, uuidAt + 24 + 4 + 4);
  }
  return moofBytes;
}

function raw(input: Uint8Array, b: Box): Uint8Array {
  return input.subarray(b.offset, b.offset + b.size);
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function bytesOfHex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** The PlayReady Object of a PIFF file's protection header box (for the `.ismc` beside it). */
export function piffPlayReadyObject(file: Uint8Array): Uint8Array {
  for (const top of childBoxes(new Cursor(file, 0, 'file'), 'file')) {
    if (top.type !== 'moov') continue;
    for (const b of childBoxes(top.payload, 'moov')) {
      if (b.type !== 'uuid' || b.uuid !== UUID_PIFF_PROTECTION_HEADER) continue;
      const c = b.payload;
      c.skip(4 + 16);
      return c.bytesOf(c.u32()).slice();
    }
  }
  throw new Error('no PIFF protection header box');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [input, output, ...rest] = process.argv.slice(2);
  if (input === undefined || output === undefined) throw new Error('usage: piffFixture.js <in.mp4> <out.ismv> [--aux-info]');
  writeFileSync(output, buildPiff(readFileSync(input), { auxInfo: rest.includes('--aux-info') }));
}
