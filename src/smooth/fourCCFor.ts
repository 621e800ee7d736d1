import type { SampleEntry } from '../bmff/stsd.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readAudioSpecificConfig } from './audioSpecificConfig.js';
import { dolbyFourCC, type DolbyFourCC } from './dolbyAudio.js';
import { missingHevcParameterSets } from './hevcParameterSets.js';

/** Both spellings every client accepts for H.264 (GStreamer: exactly these two). */
export type H264FourCC = 'H264' | 'AVC1';
/** HEVC: the sample entry's own code by default (hev1 may carry parameter sets in-band, hvc1 may not). */
export type HevcFourCC = 'HVC1' | 'HEV1';
export type SmoothFourCC = H264FourCC | HevcFourCC | 'AACL' | DolbyFourCC;

export interface FourCCOptions {
  /** Default 'H264', as IIS and Azure Media Services write it. */
  h264FourCC?: H264FourCC;
  /** Default: the sample entry's format in capitals ('hvc1' gives 'HVC1', 'hev1' 'HEV1'). */
  hevcFourCC?: HevcFourCC;
}

/** What smoothpub packages, exactly as every refusal states it. */
export const SUPPORTED_CODECS = 'H.264 video (avc1, or avc3 whose avcC carries its SPS and PPS), HEVC video (hvc1 or hev1 whose hvcC carries its VPS, SPS and PPS) and AAC (mp4a), AC-3 (ac-3) and E-AC-3 (ec-3) audio';

/**
 * How to move in-band parameter sets into the avcC without re-encoding: the filter leaves
 * the muxer no usable avcC, so it builds one from the first sample's SPS and PPS
 * (docs/architecture.md, "What other tools write").
 */
export const AVCC_FIX = 'ffmpeg -i IN -c copy -bsf:v h264_mp4toannexb -tag:v avc1 OUT.mp4';

/** MPEG-4 Audio in esds: 0x40; MPEG-2 AAC Main and LC: 0x66, 0x67. */
const AAC_OBJECT_TYPE_INDICATIONS = new Set([0x40, 0x66, 0x67]);
/** Main, LC, SSR, LTP, SBR (HE-AAC), PS (HE-AACv2): the AAC family players decode. */
const AAC_AUDIO_OBJECT_TYPES = new Set([1, 2, 3, 4, 5, 29]);

const KNOWN_NAMES: Readonly<Record<string, string>> = {
  // PIFF's sample entries for the Smooth codecs of the Silverlight era.
  'vc-1': 'VC-1', owma: 'WMA',
  vp09: 'VP9', av01: 'AV1', 'ac-3': 'AC-3', 'ec-3': 'E-AC-3', Opus: 'Opus', fLaC: 'FLAC', avc2: 'H.264 (avc2)', avc4: 'H.264 (avc4)',
};

/**
 * The manifest FourCC of a sample entry. Every AAC flavour is 'AACL': GStreamer's
 * mssdemux knows no other AAC FourCC, and dash.js reads the object type from
 * CodecPrivateData anyway. AC-3/E-AC-3 are 'AC-3'/'EC-3' (smooth/dolbyAudio.ts); the rest
 * is refused, not guessed.
 */
export function fourCCFor(given: SampleEntry, options: FourCCOptions = {}): SmoothFourCC {
  const entry = clearEntry(given);
  const format = entry.format;
  if (format === 'avc1' || format === 'avc3') {
    const avcC = entry.avcC;
    // Smooth clients configure their decoder from CodecPrivateData, built from the avcC's
    // parameter sets: an avc3 that keeps them only in its samples cannot be described.
    if (avcC !== undefined && (avcC.sps.length === 0 || avcC.pps.length === 0)) {
      throw unsupported(
        `H.264 (${format}) whose avcC carries ${avcC.sps.length} SPS and ${avcC.pps.length} PPS: its parameter sets are only in the samples (in-band), and Smooth clients take them from the Manifest's CodecPrivateData. Put them in the avcC without re-encoding: ${AVCC_FIX} (or in GStreamer: h264parse ! video/x-h264,stream-format=avc)`,
      );
    }
    return options.h264FourCC ?? 'H264';
  }
  if (format === 'hvc1' || format === 'hev1') {
    if (entry.hvcC === undefined) throw unsupported(`HEVC (${format}) without an hvcC box: cannot describe its decoder configuration`);
    const missing = missingHevcParameterSets(entry.hvcC);
    // As for avc3 above: the parameter sets must be in the hvcC for CodecPrivateData.
    if (missing !== '') throw unsupported(`HEVC (${format}) whose hvcC carries no ${missing}: its parameter sets are only in the samples (in-band), and Smooth clients take them from the Manifest's CodecPrivateData`);
    return options.hevcFourCC ?? (format === 'hvc1' ? 'HVC1' : 'HEV1');
  }
  const dolby = dolbyFourCC(format);
  if (dolby !== undefined) {
    // Its channels are in the dac3/dec3 only: the entry's channel count may say 2 for 5.1.
    const box = format === 'ac-3' ? 'dac3' : 'dec3';
    if (entry[box] === undefined) throw unsupported(`codec '${format}' (${KNOWN_NAMES[format]}) without its ${box} box, which alone tells its channels (ffmpeg -c copy writes one)`);
    return dolby;
  }
  if (format !== 'mp4a') return unsupportedFormat(format);
  const esds = entry.esds;
  if (esds === undefined) throw unsupported('mp4a without an esds box: cannot tell the audio codec');
  const oti = esds.objectTypeIndication;
  if (!AAC_OBJECT_TYPE_INDICATIONS.has(oti)) {
    const name = oti === 0x69 || oti === 0x6b ? ' (MPEG audio, e.g. MP3)' : '';
    throw unsupported(`mp4a with objectTypeIndication 0x${oti.toString(16).padStart(2, '0')}${name}`);
  }
  if (oti === 0x40) {
    if (esds.decoderSpecificInfo.length === 0) throw unsupported('mp4a without an AudioSpecificConfig: cannot tell the AAC profile');
    const objectType = readAudioSpecificConfig(esds.decoderSpecificInfo).objectType;
    if (!AAC_AUDIO_OBJECT_TYPES.has(objectType)) throw unsupported(`MPEG-4 audio object type ${objectType} (not AAC, HE-AAC or HE-AACv2)`);
  }
  return 'AACL';
}

/**
 * An encrypted entry (`encv`/`enca`, ISO/IEC 23001-7) as its clear format (`sinf/frma`):
 * its codec configuration (avcC, esds) is in the clear, so the FourCC, CodecPrivateData
 * and codecs string of an already-protected track are those of the original format.
 */
export function clearEntry(entry: SampleEntry): SampleEntry {
  if (entry.format !== 'encv' && entry.format !== 'enca') return entry;
  if (entry.originalFormat === undefined) throw unsupported(`encrypted track (${entry.format}) without an original format ('sinf/frma')`);
  return { ...entry, format: entry.originalFormat };
}

function unsupportedFormat(format: string): never {
  const name = KNOWN_NAMES[format];
  throw unsupported(`codec '${format}'${name === undefined ? '' : ` (${name})`}`);
}

function unsupported(found: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.UNSUPPORTED_CODEC, `unsupported ${found}; supported: ${SUPPORTED_CODECS}`);
}
