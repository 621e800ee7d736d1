import { dolbyAudioOf } from '../bmff/dolbyChannels.js';
import type { SampleEntry } from '../bmff/stsd.js';

/**
 * DASH-IF IOP (AC-3, E-AC-3): AudioChannelConfiguration in Dolby's scheme, its value the
 * 16-bit channel map of ETSI TS 102 366 table E.1.4 as four hex digits (`F801` = 3/2+LFE).
 */
export const DOLBY_CHANNEL_SCHEME = 'tag:dolby.com,2014:dash:audio_channel_configuration:2011';
/** Dolby's descriptors for E-AC-3 with Atmos (JOC), as SupplementalProperty. */
export const DOLBY_EXTENSION_TYPE_SCHEME = 'tag:dolby.com,2018:dash:EC3_ExtensionType:2018';
export const DOLBY_COMPLEXITY_INDEX_SCHEME = 'tag:dolby.com,2018:dash:EC3_ExtensionComplexityIndex:2018';

/** What DASH and HLS say of an AC-3/E-AC-3 level beyond its codecs string. */
export interface DolbySignal {
  /** Every channel, LFE included (HLS `CHANNELS`). */
  channels: number;
  /** The Dolby scheme's value: four uppercase hex digits. */
  channelMask: string;
  /** E-AC-3 JOC (Atmos): the complexity index (HLS `CHANNELS="16/JOC"`). */
  jocComplexityIndex?: number;
}

/** The signal of an `ac-3`/`ec-3` entry (clear format) with its `dac3`/`dec3`; undefined otherwise. */
export function dolbySignalOf(entry: SampleEntry): DolbySignal | undefined {
  const audio = dolbyAudioOf(entry);
  if (audio === undefined) return undefined;
  const out: DolbySignal = { channels: audio.channels, channelMask: audio.dolbyChannelMask.toString(16).toUpperCase().padStart(4, '0') };
  if (audio.jocComplexityIndex !== undefined) out.jocComplexityIndex = audio.jocComplexityIndex;
  return out;
}

/** Bits of the 16-bit map that stand for a pair of loudspeakers (Lc/Rc, Lrs/Rrs, Lsd/Rsd, Lw/Rw, Vhl/Vhr, Lts/Rts). */
const PAIRS = (1 << 10) | (1 << 9) | (1 << 6) | (1 << 5) | (1 << 4) | (1 << 2);

/** The channel count a Dolby-scheme value stands for; undefined when it is no 16-bit hex map. */
export function channelsOfDolbyMask(value: string): number | undefined {
  if (!/^[0-9A-Fa-f]{1,4}$/.test(value)) return undefined;
  const mask = parseInt(value, 16);
  let n = 0;
  for (let bit = 0; bit < 16; bit++) if ((mask & (1 << bit)) !== 0) n += (PAIRS & (1 << bit)) !== 0 ? 2 : 1;
  return n;
}

/** HLS `CHANNELS` (RFC 8216bis 4.4.6.1; Apple's authoring spec for JOC): `6`, or `16/JOC`. */
export function hlsChannelsOf(signal: DolbySignal): string {
  return signal.jocComplexityIndex !== undefined ? `${signal.jocComplexityIndex}/JOC` : String(signal.channels);
}
