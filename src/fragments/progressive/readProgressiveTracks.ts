import { childBoxes, requireChild } from '../../bmff/box.js';
import { readMvhd } from '../../bmff/mvhd.js';
import { readTkhd } from '../../bmff/tkhd.js';
import { bitrateOf, describeTrack } from '../describeTrack.js';
import type { MoovTrack } from '../readMoov.js';
import type { MoovBytes } from '../readMoovBytes.js';
import type { TrackIndex } from '../types.js';
import { ErrorCode, SmoothpubError, isSmoothpubError } from '../../errors.js';
import { readSampleTable } from './readSampleTable.js';

/**
 * The tracks of a plain MP4 with their sample tables, `fragments` left empty: where
 * fragments start depends on the other renditions (shared keyframes), so the
 * presentation cuts them (cutProgressive).
 */
export async function readProgressiveTracks(file: string, moovBytes: MoovBytes, moovTracks: MoovTrack[], fileSize: number): Promise<TrackIndex[]> {
  const { moov } = moovBytes;
  const movieTimescale = readMvhd(requireChild(moov, 'moov', 'mvhd').payload).timescale;
  const out: TrackIndex[] = [];
  for (const trak of childBoxes(moov, 'moov')) {
    if (trak.type !== 'trak') continue;
    const trackId = readTkhd(requireChild(trak.payload, 'moov/trak', 'tkhd').payload).trackId;
    const t = moovTracks.find((x) => x.trackId === trackId);
    if (!t?.kind || !t.sampleEntry) continue; // hint, metadata or other tracks a Smooth client never asks for
    let samples;
    try {
      samples = await readSampleTable(trak.payload, { movie: movieTimescale, track: t.timescale }, fileSize, moovBytes.payloadOf);
    } catch (e) {
      throw isSmoothpubError(e) ? e.withContext({ trackId }) : e;
    }
    if (samples.count === 0) continue; // an empty track has nothing to serve
    if (samples.sync && samples.sync[0] !== 1) {
      throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, 'the first sample is not a keyframe (sync sample): the track cannot start a fragment', { trackId, offset: samples.offsets[0]! });
    }
    let bytes = 0;
    for (const s of samples.sizes) bytes += s;
    const track = describeTrack(file, { ...t, kind: t.kind, sampleEntry: t.sampleEntry }, [], bitrateOf(bytes, samples.times[samples.count]!, t.timescale));
    track.samples = samples;
    out.push(track);
  }
  if (out.length === 0) throw new SmoothpubError(ErrorCode.NO_TRACKS, 'no audio or video track with samples', {});
  return out.sort((a, b) => a.trackId - b.trackId);
}
