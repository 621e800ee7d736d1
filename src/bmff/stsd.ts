import { childBoxes } from './box.js';
import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type AvcC, readAvcC, writeAvcC } from './avcc.js';
import { type Esds, readEsds, writeEsds } from './esds.js';
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
  esds?: Esds;
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
  readFullBoxHeader(c);
  const count = c.u32();
  const entries: SampleEntry[] = [];
  const boxes = childBoxes(c, 'stsd');
  for (let i = 0; i < count; i++) {
    const next = boxes.next();
    if (next.done) break;
    entries.push(readSampleEntry(next.value.type, next.value.payload));
  }
  return { type: 'stsd', entries };
}

function readSampleEntry(format: string, c: Cursor): SampleEntry {
  c.skip(6 + 2); // reserved, data_reference_index
  const entry: SampleEntry = { format };
  if (VISUAL.has(format)) {
    c.skip(16);
    entry.width = c.u16();
    entry.height = c.u16();
    c.skip(4 + 4 + 4 + 2 + 32 + 2 + 2); // resolutions, reserved, frame_count, compressorname, depth, pre_defined
  } else if (AUDIO.has(format)) {
    const version = c.u16();
    c.skip(6);
    entry.channelCount = c.u16();
    entry.sampleSize = c.u16();
    c.skip(4);
    entry.sampleRate = c.u32() >>> 16;
    if (version === 1) c.skip(16);
    else if (version === 2) c.skip(36);
  } else {
    return entry;
  }
  for (const child of childBoxes(c, format)) {
    if (child.type === 'avcC') entry.avcC = readAvcC(child.payload);
    else if (child.type === 'esds') entry.esds = readEsds(child.payload);
    else if (child.type === 'sinf') {
      for (const s of childBoxes(child.payload, 'sinf')) {
        if (s.type === 'frma') entry.originalFormat = s.payload.fourcc();
      }
    }
  }
  return entry;
}

export function writeStsd(box: BoxInput<Stsd>): Uint8Array {
  const entries = box.entries.map(writeSampleEntry);
  return fullBox('stsd', 0, 0, new ByteWriter(4, 'stsd').u32(entries.length, 'entry_count').finish(), ...entries);
}

/**
 * A visual or audio sample entry with its avcC, esds and sinf/frma children; other
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
  if (e.esds !== undefined) children.push(writeEsds(e.esds));
  if (e.originalFormat !== undefined) children.push(makeBox('sinf', makeBox('frma', new ByteWriter(4, 'frma').fourcc(e.originalFormat).finish())));
  return makeBox(e.format, fields, ...children);
}
