import type { SampleEntry } from '../bmff/stsd.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readAudioSpecificConfig } from './audioSpecificConfig.js';
import { aacCodecPrivateData, h264CodecPrivateData } from './codecPrivateData.js';
import { hevcCodecPrivateData } from './hevcCodecPrivateData.js';
import { clearEntry, type FourCCOptions, fourCCFor } from './fourCCFor.js';
import { dolbyQualityLevel } from './dolbyAudio.js';
import type { QualityLevel } from './model.js';

export interface QualityLevelOptions extends FourCCOptions {
  index: number;
  bitrate: number;
}

/** Microsoft's encoders write these for AAC: WAVE_FORMAT_RAW_AAC1 and its nominal PCM shape. */
export const AAC_AUDIO_TAG = 255;
export const AAC_BITS_PER_SAMPLE = 16;
export const AAC_PACKET_SIZE = 4;

/** The manifest QualityLevel describing one H.264, HEVC, AAC, AC-3 or E-AC-3 sample entry. */
export function qualityLevelFor(given: SampleEntry, options: QualityLevelOptions): QualityLevel {
  const entry = clearEntry(given);
  const fourCC = fourCCFor(entry, options);
  const base = { index: options.index, bitrate: options.bitrate, fourCC };
  if (fourCC === 'AC-3' || fourCC === 'EC-3') return dolbyQualityLevel(entry, base);
  if (fourCC === 'AACL') {
    const esds = entry.esds;
    if (esds === undefined) throw new SmoothpubError(ErrorCode.MISSING_BOX, 'AAC: expected an esds box, found none', { boxPath: 'stsd/mp4a' });
    const asc = readAudioSpecificConfig(esds.decoderSpecificInfo);
    return {
      ...base,
      samplingRate: asc.samplingRate > 0 ? asc.samplingRate : (entry.sampleRate ?? 0),
      channels: asc.channels > 0 ? asc.channels : (entry.channelCount ?? 0),
      bitsPerSample: AAC_BITS_PER_SAMPLE,
      packetSize: AAC_PACKET_SIZE,
      audioTag: AAC_AUDIO_TAG,
      codecPrivateData: aacCodecPrivateData(esds),
    };
  }
  if (fourCC === 'HVC1' || fourCC === 'HEV1') return hevcQualityLevel(entry, base);
  const avcC = entry.avcC;
  if (avcC === undefined) throw new SmoothpubError(ErrorCode.MISSING_BOX, `H.264: expected an avcC box in ${entry.format}, found none`, { boxPath: `stsd/${entry.format}` });
  const level: QualityLevel = { ...base, codecPrivateData: h264CodecPrivateData(avcC) };
  if (entry.width !== undefined) level.maxWidth = entry.width;
  if (entry.height !== undefined) level.maxHeight = entry.height;
  // MS-SSTR 2.2.2.5: 4 when absent; only other lengths need saying.
  if (avcC.nalLengthSize !== 4) level.nalUnitLengthField = avcC.nalLengthSize;
  return level;
}

/** HEVC: CodecPrivateData from the hvcC, the sizes and NAL length field as for H.264. */
function hevcQualityLevel(entry: SampleEntry, base: Pick<QualityLevel, 'index' | 'bitrate' | 'fourCC'>): QualityLevel {
  const hvcC = entry.hvcC;
  if (hvcC === undefined) throw new SmoothpubError(ErrorCode.MISSING_BOX, `HEVC: expected an hvcC box in ${entry.format}, found none`, { boxPath: `stsd/${entry.format}` });
  const level: QualityLevel = { ...base, codecPrivateData: hevcCodecPrivateData(hvcC) };
  if (entry.width !== undefined) level.maxWidth = entry.width;
  if (entry.height !== undefined) level.maxHeight = entry.height;
  if (hvcC.nalLengthSize !== 4) level.nalUnitLengthField = hvcC.nalLengthSize;
  return level;
}
