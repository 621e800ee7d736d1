import type { Dac3 } from './dac3.js';
import type { Dec3, Dec3Substream } from './dec3.js';

/**
 * What an AC-3 or E-AC-3 sample entry's `dac3`/`dec3` says of the audio. The sample entry's
 * own channelcount is no guide: ISO/IEC 14496-12 and TS 102 366 F.3 let it say 2 whatever
 * the stream holds (ffmpeg writes 2 for E-AC-3 5.1), so manifests take the count from here.
 */
export interface DolbyAudio {
  /** Every channel, LFE included: 6 for 3/2+LFE. */
  channels: number;
  /** Hz from fscod; undefined for E-AC-3's reduced rates (fscod 3), which dec3 does not state. */
  sampleRate: number | undefined;
  /** Loudspeaker locations in TS 102 366 names, in table order: L C R Ls Rs LFE ... */
  speakers: string[];
  /** WAVEFORMATEXTENSIBLE dwChannelMask (SPEAKER_FRONT_LEFT = 1, ...): Smooth's CodecPrivateData. */
  waveChannelMask: number;
  /** The 16-bit channel map of TS 102 366 table E.1.4 (L = 0x8000 ... LFE = 1): the Dolby DASH descriptor's value. */
  dolbyChannelMask: number;
  /** E-AC-3 with Atmos (JOC): the complexity index `dec3` states. */
  jocComplexityIndex?: number;
}

/** fscod (TS 102 366 table 4.1). */
const RATES = [48000, 44100, 32000] as const;

/** acmod (TS 102 366 table 4.3); 1+1 (dual mono) is carried as two channels, L and R. */
const ACMOD_SPEAKERS: readonly (readonly string[])[] = [
  ['L', 'R'], ['C'], ['L', 'R'], ['L', 'C', 'R'], ['L', 'R', 'Cs'], ['L', 'C', 'R', 'Cs'], ['L', 'R', 'Ls', 'Rs'], ['L', 'C', 'R', 'Ls', 'Rs'],
];

/** chan_loc bits of dec3 (TS 102 366 table F.6.3), bit 0 first. */
const CHAN_LOC_SPEAKERS: readonly (readonly string[])[] = [
  ['Lc', 'Rc'], ['Lrs', 'Rrs'], ['Cs'], ['Ts'], ['Lsd', 'Rsd'], ['Lw', 'Rw'], ['Vhl', 'Vhr'], ['Vhc'], ['LFE2'],
];

/** SPEAKER_* bits of WAVEFORMATEXTENSIBLE; Lsd/Rsd, Lw/Rw and LFE2 have none. */
const WAVE_BITS: Readonly<Record<string, number>> = {
  L: 0x1, R: 0x2, C: 0x4, LFE: 0x8, Ls: 0x10, Rs: 0x20, Lc: 0x40, Rc: 0x80, Cs: 0x100, Lrs: 0x200, Rrs: 0x400, Ts: 0x800, Vhl: 0x1000, Vhc: 0x2000, Vhr: 0x4000,
};

/** TS 102 366 table E.1.4 (chanmap), a pair's two speakers on one bit. */
const DOLBY_BITS: Readonly<Record<string, number>> = {
  L: 1 << 15, C: 1 << 14, R: 1 << 13, Ls: 1 << 12, Rs: 1 << 11, Lc: 1 << 10, Rc: 1 << 10, Lrs: 1 << 9, Rrs: 1 << 9, Cs: 1 << 8, Ts: 1 << 7,
  Lsd: 1 << 6, Rsd: 1 << 6, Lw: 1 << 5, Rw: 1 << 5, Vhl: 1 << 4, Vhr: 1 << 4, Vhc: 1 << 3, LFE2: 1 << 1, LFE: 1,
};

/** The audio an AC-3 (`dac3`) or E-AC-3 (`dec3`) configuration describes; undefined for neither. */
export function dolbyAudioOf(entry: { dac3?: Dac3; dec3?: Dec3 }): DolbyAudio | undefined {
  if (entry.dac3 !== undefined) {
    const d = entry.dac3;
    return describe(speakersOf(d.acmod, d.lfeon, 0), RATES[d.fscod]);
  }
  if (entry.dec3 !== undefined) {
    // The first independent substream is the main programme; further ones (rare) are
    // other programmes or associated services, not more channels of this one.
    const main = entry.dec3.substreams[0] as Dec3Substream;
    const out = describe(speakersOf(main.acmod, main.lfeon, main.chanLoc), RATES[main.fscod]);
    if (entry.dec3.ec3ExtensionTypeA === true && entry.dec3.complexityIndexTypeA !== undefined) out.jocComplexityIndex = entry.dec3.complexityIndexTypeA;
    return out;
  }
  return undefined;
}

function speakersOf(acmod: number, lfeon: boolean, chanLoc: number): string[] {
  const speakers = [...(ACMOD_SPEAKERS[acmod] ?? [])];
  if (lfeon) speakers.push('LFE');
  CHAN_LOC_SPEAKERS.forEach((added, bit) => {
    if ((chanLoc & (1 << bit)) !== 0) speakers.push(...added.filter((s) => !speakers.includes(s)));
  });
  return speakers;
}

function describe(speakers: string[], sampleRate: number | undefined): DolbyAudio {
  let waveChannelMask = 0;
  let dolbyChannelMask = 0;
  for (const s of speakers) {
    waveChannelMask |= WAVE_BITS[s] ?? 0;
    dolbyChannelMask |= DOLBY_BITS[s] ?? 0;
  }
  return { channels: speakers.length, sampleRate, speakers, waveChannelMask, dolbyChannelMask };
}
