import { childBoxes } from './box.js';
import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type AvcC, readAvcC } from './avcc.js';
import { type Esds, readEsds } from './esds.js';

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
