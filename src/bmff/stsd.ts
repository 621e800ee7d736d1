import { ErrorCode, SmoothpubError } from '../errors.js';
import { childBoxes } from './box.js';
import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type AvcC, readAvcC, writeAvcC } from './avcc.js';
import { type HvcC, readHvcC, writeHvcC } from './hvcc.js';
import { type Esds, readEsds, writeEsds } from './esds.js';
import { type Pasp, readPasp, writePasp } from './pasp.js';
import { type Dac3, readDac3, writeDac3 } from './dac3.js';
import { type Dec3, readDec3, writeDec3 } from './dec3.js';
import { type BoxInput, ByteWriter, box as makeBox, fullBox, required } from './writer.js';

/** One sample description; only the fields a Smooth manifest needs are decoded. */
export interface SampleEntry {
  /** The sample entry's four-character code: 'avc1', 'avc3', 'mp4a', 'hvc1', 'ec-3', ... */
  format: string;
  width?: number;
  height?: number;
  channelCount?: number;
  sampleSize?: number;
  sampleRate?: number;
  avcC?: AvcC;
  /** HEVC entries: the decoder configuration (NAL length size, parameter sets). */
  hvcC?: HvcC;
  esds?: Esds;
  /** AC-3 entries: the AC3SpecificBox (channels and rate are there, not in the entry's fields). */
  dac3?: Dac3;
  /** E-AC-3 entries: the EC3SpecificBox. */
  dec3?: Dec3;
  /** Visual entries: the pixel aspect ratio, when the entry states one. */
  pasp?: Pasp;
  /** For encrypted entries ('encv'/'enca'), the original format from 'sinf/frma'. */
  originalFormat?: string;
}

export interface Stsd {
  type: 'stsd';
  entries: SampleEntry[];
}

const VISUAL = new Set(['avc1', 'avc2', 'avc3', 'avc4', 'hvc1', 'hev1', 'encv', 'vp09', 'av01']);
const AUDIO = new Set(['mp4a', 'enca', 'ac-3', 'ec-3', 'Opus', 'fLaC']);

export function readStsd(c: Cursor): Stsd {
  const { version } = readFullBoxHeader(c);
  const count = c.u32();
  const entries: SampleEntry[] = [];
  const boxes = childBoxes(c, 'stsd');
  for (let i = 0; i < count; i++) {
    const next = boxes.next();
    if (next.done) break;
    entries.push(readSampleEntry(next.value.type, next.value.payload, version));
  }
  return { type: 'stsd', entries };
}

function readSampleEntry(format: string, c: Cursor, stsdVersion: number): SampleEntry {
  c.skip(6 + 2); // reserved, data_reference_index
  const entry: SampleEntry = { format };
  if (VISUAL.has(format)) {
    c.skip(16);
    entry.width = c.u16();
    entry.height = c.u16();
    c.skip(4 + 4 + 4 + 2 + 32 + 2 + 2); // resolutions, reserved, frame_count, compressorname, depth, pre_defined
  } else if (AUDIO.has(format)) {
    readSoundDescription(c, stsdVersion, entry);
  } else {
    return entry;
  }
  // QuickTime files may end a sample entry's extensions with a 32-bit zero (qtmux does).
  for (const child of childBoxes(c, format, { zeroTerminator: true })) {
    if (child.type === 'avcC') entry.avcC = readAvcC(child.payload);
    else if (child.type === 'hvcC') entry.hvcC = readHvcC(child.payload);
    else if (child.type === 'esds') entry.esds = readEsds(child.payload);
    else if (child.type === 'dac3') entry.dac3 = readDac3(child.payload);
    else if (child.type === 'dec3') entry.dec3 = readDec3(child.payload);
    else if (child.type === 'pasp' && VISUAL.has(format)) entry.pasp = readPasp(child.payload);
    else if (child.type === 'wave' && entry.esds === undefined) {
      // QuickTime sound descriptions (ffmpeg's and qtmux's .mov) keep the esds inside a
      // 'wave' (siDecompressionParam) atom: frma, mp4a, esds, terminator.
      const esds = findEsds(child.payload, `${format}/wave`);
      if (esds) entry.esds = esds;
    } else if (child.type === 'sinf') {
      for (const s of childBoxes(child.payload, 'sinf')) {
        if (s.type === 'frma') entry.originalFormat = s.payload.fourcc();
      }
    }
  }
  return entry;
}

function findEsds(c: Cursor, parent: string): Esds | undefined {
  for (const child of childBoxes(c, parent)) {
    if (child.type === 'esds') return readEsds(child.payload);
  }
  return undefined;
}

/**
 * The fields of an audio sample entry after data_reference_index. ISO's AudioSampleEntry
 * is QuickTime's sound description version 0; inside an `stsd` of version 0, an entry
 * version of 1 or 2 is QuickTime's layout (as ffmpeg's mov demuxer reads it): version 1
 * adds 16 bytes (samples per packet, bytes per packet, frame, sample), version 2 moves
 * the rate and channel count into 36 bytes of its own and leaves placeholders (3
 * channels, 1 Hz) where version 0 has them. ISO's AudioSampleEntryV1 (an `stsd` of
 * version 1) adds nothing.
 */
function readSoundDescription(c: Cursor, stsdVersion: number, entry: SampleEntry): void {
  const at = c.offset;
  const version = c.u16();
  c.skip(2 + 4); // revision, vendor
  entry.channelCount = c.u16();
  entry.sampleSize = c.u16();
  c.skip(2 + 2); // compression_id, packet_size
  entry.sampleRate = c.u32() >>> 16;
  if (stsdVersion !== 0 || version === 0) return;
  if (version === 1) {
    c.skip(16);
  } else if (version === 2) {
    c.skip(4); // sizeOfStructOnly
    const rateAt = c.offset;
    const rate = c.f64();
    const channels = c.u32();
    c.skip(4); // always 0x7F000000
    const bits = c.u32();
    c.skip(4 + 4 + 4); // formatSpecificFlags, constBytesPerAudioPacket, constLPCMFramesPerAudioPacket
    if (!(rate > 0 && rate < 2 ** 32)) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `${entry.format}: sound description version 2 gives sample rate ${rate}`, { offset: rateAt, boxPath: c.what });
    }
    entry.sampleRate = Math.round(rate);
    entry.channelCount = channels;
    if (bits > 0) entry.sampleSize = bits;
  } else {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `${entry.format}: unknown sound description version ${version} (QuickTime defines 0, 1 and 2)`, { offset: at, boxPath: c.what });
  }
}

export function writeStsd(box: BoxInput<Stsd>): Uint8Array {
  const entries = box.entries.map(writeSampleEntry);
  return fullBox('stsd', 0, 0, new ByteWriter(4, 'stsd').u32(entries.length, 'entry_count').finish(), ...entries);
}

/**
 * A visual or audio sample entry with its avcC, esds, pasp and sinf/frma children; other
 * formats get only the common fields. Defaults are the usual ones: data reference 1,
 * 72 dpi, one frame per sample, depth 24, audio version 0.
 */
export function writeSampleEntry(e: SampleEntry): Uint8Array {
  const what = `stsd/${e.format}`;
  let fields: Uint8Array;
  if (VISUAL.has(e.format)) {
    fields = new ByteWriter(78, what)
      .zeros(6).u16(1) // reserved, data_reference_index
      .zeros(16) // pre_defined, reserved, pre_defined[3]
      .u16(required(e.width, what, 'width'), 'width')
      .u16(required(e.height, what, 'height'), 'height')
      .u32(0x00480000).u32(0x00480000) // horizresolution, vertresolution: 72 dpi
      .zeros(4).u16(1) // reserved, frame_count
      .zeros(32) // compressorname
      .u16(0x0018).u16(0xffff) // depth, pre_defined = -1
      .finish();
  } else if (AUDIO.has(e.format)) {
    fields = new ByteWriter(28, what)
      .zeros(6).u16(1) // reserved, data_reference_index
      .u16(0).zeros(6) // version 0, revision, vendor
      .u16(required(e.channelCount, what, 'channelCount'), 'channelcount')
      .u16(required(e.sampleSize, what, 'sampleSize'), 'samplesize')
      .zeros(4) // pre_defined, reserved
      .u16(required(e.sampleRate, what, 'sampleRate'), 'samplerate (16.16; above 65535 Hz needs version 2)').u16(0)
      .finish();
  } else {
    fields = new ByteWriter(8, what).zeros(6).u16(1).finish();
  }
  const children: Uint8Array[] = [];
  if (e.avcC !== undefined) children.push(writeAvcC(e.avcC));
  if (e.hvcC !== undefined) children.push(writeHvcC(e.hvcC));
  if (e.esds !== undefined) children.push(writeEsds(e.esds));
  if (e.dac3 !== undefined) children.push(writeDac3(e.dac3));
  if (e.dec3 !== undefined) children.push(writeDec3(e.dec3));
  if (e.pasp !== undefined) children.push(writePasp(e.pasp));
  if (e.originalFormat !== undefined) children.push(makeBox('sinf', makeBox('frma', new ByteWriter(4, 'frma').fourcc(e.originalFormat).finish())));
  return makeBox(e.format, fields, ...children);
}
