import type { AvcC } from '../../src/bmff/avcc.js';
import type { Esds } from '../../src/bmff/esds.js';
import { ascii } from './helpers.js';

/** Codec configurations shared by the avcC, esds and stsd tests, with their exact bytes. */
export const AVCC: AvcC = {
  type: 'avcC',
  profile: 0x64,
  compatibility: 0,
  level: 0x0a,
  nalLengthSize: 4,
  sps: [Uint8Array.of(0x67, 0x64, 0x00, 0x0a, 0xac)],
  pps: [Uint8Array.of(0x68, 0xee, 0x3c, 0xb0)],
};

export const AVCC_BYTES = [
  0, 0, 0, 28, // size
  ...ascii('avcC'),
  1, // configurationVersion
  0x64, 0x00, 0x0a, // profile High, compatibility, level 1.0
  0xfc | 3, // reserved bits, lengthSizeMinusOne 3
  0xe0 | 1, // reserved bits, one SPS
  0, 5, 0x67, 0x64, 0x00, 0x0a, 0xac, // SPS length, SPS
  1, // one PPS
  0, 4, 0x68, 0xee, 0x3c, 0xb0, // PPS length, PPS
];

export const ESDS: Esds = { type: 'esds', objectTypeIndication: 0x40, maxBitrate: 128000, avgBitrate: 128000, decoderSpecificInfo: Uint8Array.of(0x11, 0x90) };

export const ESDS_BYTES = [
  0, 0, 0, 39, // size
  ...ascii('esds'),
  0, 0, 0, 0, // version, flags
  0x03, 25, // ES_Descriptor, size
  0, 0, // ES_ID
  0, // no dependsOn, URL, OCR
  0x04, 17, // DecoderConfigDescriptor, size
  0x40, // objectTypeIndication: MPEG-4 audio
  0x15, // streamType 5 (audio) << 2, upStream 0, reserved 1
  0, 0, 0, // bufferSizeDB
  0, 0x01, 0xf4, 0x00, // maxBitrate 128000
  0, 0x01, 0xf4, 0x00, // avgBitrate 128000
  0x05, 2, 0x11, 0x90, // DecoderSpecificInfo: AudioSpecificConfig AAC-LC 48 kHz stereo
  0x06, 1, 0x02, // SLConfigDescriptor, predefined 2 (MP4)
];
