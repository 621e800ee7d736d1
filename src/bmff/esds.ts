import { ErrorCode, SmoothpubError } from '../errors.js';
import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

/** The parts of an MPEG-4 ES_Descriptor (ISO/IEC 14496-1) a Smooth manifest needs. */
export interface Esds {
  type: 'esds';
  objectTypeIndication: number;
  maxBitrate: number;
  avgBitrate: number;
  /** DecoderSpecificInfo: for AAC, the AudioSpecificConfig. */
  decoderSpecificInfo: Uint8Array;
}

const ES_DESCR = 3;
const DECODER_CONFIG_DESCR = 4;
const DEC_SPECIFIC_INFO = 5;

function readDescriptorHeader(c: Cursor): { tag: number; size: number } {
  const tag = c.u8();
  let size = 0;
  for (let i = 0; i < 4; i++) {
    const b = c.u8();
    size = (size << 7) | (b & 0x7f);
    if ((b & 0x80) === 0) break;
  }
  return { tag, size };
}

export function readEsds(c: Cursor): Esds {
  readFullBoxHeader(c);
  const at = c.offset;
  const es = readDescriptorHeader(c);
  if (es.tag !== ES_DESCR) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `esds: expected ES_Descriptor (tag 3), found tag ${es.tag}`, { offset: at, boxPath: c.what });
  }
  c.u16(); // ES_ID
  const esFlags = c.u8();
  if (esFlags & 0x80) c.u16(); // dependsOn_ES_ID
  if (esFlags & 0x40) c.skip(c.u8()); // URL
  if (esFlags & 0x20) c.u16(); // OCR_ES_Id
  const dcAt = c.offset;
  const dc = readDescriptorHeader(c);
  if (dc.tag !== DECODER_CONFIG_DESCR) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `esds: expected DecoderConfigDescriptor (tag 4), found tag ${dc.tag}`, { offset: dcAt, boxPath: c.what });
  }
  const objectTypeIndication = c.u8();
  c.skip(4); // streamType, upStream, reserved, bufferSizeDB
  const maxBitrate = c.u32();
  const avgBitrate = c.u32();
  let decoderSpecificInfo: Uint8Array = new Uint8Array(0);
  if (c.remaining > 0) {
    const dsi = readDescriptorHeader(c);
    if (dsi.tag === DEC_SPECIFIC_INFO) decoderSpecificInfo = c.bytesOf(dsi.size);
  }
  return { type: 'esds', objectTypeIndication, maxBitrate, avgBitrate, decoderSpecificInfo };
}

const SL_CONFIG_DESCR = 6;

/** Object types of visual streams (ISO/IEC 14496-1 table 5); everything else is written as audio. */
const VISUAL_OBJECT_TYPES = new Set([0x20, 0x21, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x6a, 0x6c]);

/** A descriptor: tag, size in the shortest 7-bits-per-byte form, body. */
function descriptor(tag: number, body: Uint8Array): Uint8Array {
  const sizeBytes: number[] = [];
  let n = body.length;
  do {
    sizeBytes.unshift(n & 0x7f);
    n >>>= 7;
  } while (n > 0);
  if (sizeBytes.length > 4) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write esds: descriptor of ${body.length} bytes is too large`, { boxPath: 'esds' });
  }
  const w = new ByteWriter(1 + sizeBytes.length + body.length, 'esds').u8(tag);
  sizeBytes.forEach((b, i) => w.u8(i < sizeBytes.length - 1 ? b | 0x80 : b));
  return w.bytesOf(body).finish();
}

/**
 * ES_ID 0, no stream dependence, bufferSizeDB 0, and the SLConfigDescriptor MP4 files
 * require (predefined 2); the DecoderSpecificInfo is left out when empty.
 */
export function writeEsds(box: BoxInput<Esds>): Uint8Array {
  const streamType = VISUAL_OBJECT_TYPES.has(box.objectTypeIndication) ? 4 : 5;
  const dsi = box.decoderSpecificInfo.length > 0 ? descriptor(DEC_SPECIFIC_INFO, box.decoderSpecificInfo) : new Uint8Array(0);
  const dcBody = new ByteWriter(13 + dsi.length, 'esds')
    .u8(box.objectTypeIndication, 'objectTypeIndication')
    .u8((streamType << 2) | 1) // streamType, upStream 0, reserved 1
    .u24(0) // bufferSizeDB
    .u32(box.maxBitrate, 'maxBitrate')
    .u32(box.avgBitrate, 'avgBitrate')
    .bytesOf(dsi)
    .finish();
  const dc = descriptor(DECODER_CONFIG_DESCR, dcBody);
  const sl = descriptor(SL_CONFIG_DESCR, Uint8Array.of(2));
  const esBody = new ByteWriter(3 + dc.length + sl.length, 'esds').u16(0).u8(0).bytesOf(dc).bytesOf(sl).finish(); // ES_ID, flags
  return fullBox('esds', 0, 0, descriptor(ES_DESCR, esBody));
}
