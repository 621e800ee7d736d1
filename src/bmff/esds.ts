import { ErrorCode, SmoothpubError } from '../errors.js';
import { type Cursor, readFullBoxHeader } from './cursor.js';

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
