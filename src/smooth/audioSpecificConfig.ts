import { ErrorCode, SmoothpubError } from '../errors.js';

/** The fields of an MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) a manifest needs. */
export interface AudioSpecificConfig {
  /** audioObjectType: 2 AAC-LC, 5 SBR (HE-AAC), 29 PS (HE-AACv2), ... */
  objectType: number;
  /** Output sampling rate (the SBR extension rate when one is signalled). */
  samplingRate: number;
  /** Channels from channelConfiguration; 0 means "see the program config element". */
  channels: number;
}

const SAMPLING_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
const CHANNELS = [0, 1, 2, 3, 4, 5, 6, 8];

export function readAudioSpecificConfig(bytes: Uint8Array): AudioSpecificConfig {
  let bit = 0;
  const read = (n: number): number => {
    if (bit + n > bytes.length * 8) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `AudioSpecificConfig is truncated: ${bytes.length} bytes`, { boxPath: 'esds' });
    }
    let v = 0;
    for (let i = 0; i < n; i++, bit++) v = v * 2 + (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1);
    return v;
  };
  const readObjectType = (): number => {
    const t = read(5);
    return t === 31 ? 32 + read(6) : t;
  };
  const readRate = (): number => {
    const index = read(4);
    if (index === 15) return read(24);
    const rate = SAMPLING_RATES[index];
    if (rate === undefined) throw new SmoothpubError(ErrorCode.BAD_BOX, `AudioSpecificConfig: reserved samplingFrequencyIndex ${index}`, { boxPath: 'esds' });
    return rate;
  };
  const objectType = readObjectType();
  let samplingRate = readRate();
  const channelConfiguration = read(4);
  // Explicit SBR/PS signalling (hierarchical): the extension rate is what plays out.
  if (objectType === 5 || objectType === 29) samplingRate = readRate();
  return { objectType, samplingRate, channels: CHANNELS[channelConfiguration] ?? 0 };
}
