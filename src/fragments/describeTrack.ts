import { dolbyAudioOf } from '../bmff/dolbyChannels.js';
import type { ProtectionSystem } from '../protect/sourceProtection.js';
import type { MoovTrack } from './readMoov.js';
import type { FragmentRef, TrackIndex } from './types.js';

/** A TrackIndex from what the `moov` says about a track (it must have a kind and a sample entry). */
export function describeTrack(
  file: string,
  t: MoovTrack & { kind: TrackIndex['kind']; sampleEntry: TrackIndex['sampleEntry'] },
  fragments: FragmentRef[],
  measuredBitrate: number,
  systems: ProtectionSystem[] = [],
): TrackIndex {
  const track: TrackIndex = {
    file,
    trackId: t.trackId,
    kind: t.kind,
    codec: t.sampleEntry.originalFormat ?? t.sampleEntry.format,
    timescale: t.timescale,
    language: t.language,
    sampleEntry: t.sampleEntry,
    measuredBitrate,
    fragments,
  };
  if (t.kind === 'video') {
    track.width = t.sampleEntry.width ?? t.width;
    track.height = t.sampleEntry.height ?? t.height;
  }
  if (t.sampleEntry.channelCount !== undefined) track.channels = t.sampleEntry.channelCount;
  if (t.sampleEntry.sampleRate !== undefined) track.sampleRate = t.sampleEntry.sampleRate;
  // AC-3/E-AC-3 entries may say 2 channels whatever the stream holds: dac3/dec3 know.
  const dolby = dolbyAudioOf(t.sampleEntry);
  if (dolby !== undefined) track.channels = dolby.channels;
  if (dolby?.sampleRate !== undefined) track.sampleRate = dolby.sampleRate;
  if (t.sampleEntry.sampleSize !== undefined) track.bitsPerSample = t.sampleEntry.sampleSize;
  if (t.protection) track.protection = { ...t.protection, systems };
  if (t.textRole) track.textRole = t.textRole;
  return track;
}

/** Bits per second of `bytes` over `ticks` of a timescale; 0 for an empty track. */
export function bitrateOf(bytes: number, ticks: number, timescale: number): number {
  return ticks > 0 ? Math.round((bytes * 8 * timescale) / ticks) : 0;
}
