import { toHex } from '../bmff/box.js';
import { AC3_BIT_RATES, writeDac3 } from '../bmff/dac3.js';
import { writeDec3 } from '../bmff/dec3.js';
import { dolbyAudioOf, type DolbyAudio } from '../bmff/dolbyChannels.js';
import type { SampleEntry } from '../bmff/stsd.js';
import { uuidToBytes } from '../bmff/writer.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { QualityLevel } from './model.js';

/** The manifest FourCCs of AC-3 and E-AC-3, as Bento4's Smooth output and ExoPlayer spell them. */
export type DolbyFourCC = 'AC-3' | 'EC-3';

/**
 * WAVE_FORMAT_EXTENSIBLE: the CodecPrivateData is the WAVEFORMATEXTENSIBLE extension, its
 * SubFormat naming the codec (docs/architecture.md, "AC-3 and E-AC-3 in Smooth").
 */
export const DOLBY_AUDIO_TAG = 65534;
export const DOLBY_BITS_PER_SAMPLE = 16;
/** Samples of one AC-3 syncframe (6 blocks of 256), WAVEFORMATEXTENSIBLE's wSamplesPerBlock. */
const SAMPLES_PER_FRAME = 1536;

/** Windows' media subtypes (GUIDs, stored little-endian in their first three fields). */
const SUBFORMATS: Readonly<Record<DolbyFourCC, string>> = {
  // MEDIASUBTYPE_DOLBY_DDPLUS {A7FB87AF-2D02-42FB-A4D4-05CD93843BDD}: what every EC-3 writer found puts here.
  'EC-3': 'af87fba7022dfb42a4d405cd93843bdd',
  // MEDIASUBTYPE_DOLBY_AC3 {E06D802C-DB46-11CF-B4D1-00805F6CBBEA}: the same layout for AC-3.
  'AC-3': '2c806de046dbcf11b4d100805f6cbbea',
};

/** 'AC-3' or 'EC-3' for an `ac-3`/`ec-3` sample entry, undefined for any other format. */
export function dolbyFourCC(format: string): DolbyFourCC | undefined {
  return format === 'ac-3' ? 'AC-3' : format === 'ec-3' ? 'EC-3' : undefined;
}

/**
 * The audio of an `ac-3`/`ec-3` entry as its `dac3`/`dec3` describes it; a typed error
 * when the box is missing (the entry's own channel count cannot be trusted).
 */
export function dolbyAudioOfEntry(entry: SampleEntry): DolbyAudio {
  const box = entry.format === 'ac-3' ? 'dac3' : 'dec3';
  const audio = entry[box] === undefined ? undefined : dolbyAudioOf(entry);
  if (audio === undefined) {
    throw new SmoothpubError(
      ErrorCode.UNSUPPORTED_CODEC,
      `${entry.format === 'ac-3' ? 'AC-3' : 'E-AC-3'} (${entry.format}) without a ${box} box: its channels cannot be told (the sample entry's channel count is not the stream's). Remux it with ffmpeg (-c copy), which writes the ${box} from the stream`,
      { boxPath: `stsd/${entry.format}` },
    );
  }
  return audio;
}

/**
 * The QualityLevel of an AC-3/E-AC-3 entry: FourCC `AC-3`/`EC-3`, AudioTag 65534
 * (WAVE_FORMAT_EXTENSIBLE), Channels and SamplingRate from `dac3`/`dec3`, BitsPerSample 16,
 * PacketSize one syncframe's bytes (the data rate over 1536 samples: at 48 kHz four times
 * the kbit/s, as Bento4 writes it), and CodecPrivateData = the 22-byte WAVEFORMATEXTENSIBLE
 * extension (wSamplesPerBlock 1536, dwChannelMask, SubFormat) followed by the
 * `dac3`/`dec3` payload, all little-endian where Windows' structures are.
 */
export function dolbyQualityLevel(entry: SampleEntry, base: Pick<QualityLevel, 'index' | 'bitrate'>): QualityLevel {
  const fourCC = dolbyFourCC(entry.format);
  if (fourCC === undefined) throw new SmoothpubError(ErrorCode.UNSUPPORTED_CODEC, `expected an ac-3 or ec-3 sample entry, found '${entry.format}'`);
  const audio = dolbyAudioOfEntry(entry);
  const samplingRate = audio.sampleRate ?? entry.sampleRate ?? 0;
  const kbps = entry.dac3 !== undefined ? AC3_BIT_RATES[entry.dac3.bitRateCode] ?? 0 : (entry.dec3?.dataRate ?? 0);
  const level: QualityLevel = {
    ...base,
    fourCC,
    samplingRate,
    channels: audio.channels,
    bitsPerSample: DOLBY_BITS_PER_SAMPLE,
    audioTag: DOLBY_AUDIO_TAG,
    codecPrivateData: dolbyCodecPrivateData(entry, fourCC, audio),
  };
  if (kbps > 0 && samplingRate > 0) level.packetSize = Math.floor((kbps * 1000 * SAMPLES_PER_FRAME) / (8 * samplingRate));
  return level;
}

function dolbyCodecPrivateData(entry: SampleEntry, fourCC: DolbyFourCC, audio: DolbyAudio): string {
  const extension = new Uint8Array(22);
  const view = new DataView(extension.buffer);
  view.setUint16(0, SAMPLES_PER_FRAME, true);
  view.setUint32(2, audio.waveChannelMask, true);
  extension.set(uuidToBytes(SUBFORMATS[fourCC]), 6);
  const box = entry.dac3 !== undefined ? writeDac3(entry.dac3) : entry.dec3 !== undefined ? writeDec3(entry.dec3) : new Uint8Array(8);
  return (toHex(extension) + toHex(box.subarray(8))).toUpperCase();
}
