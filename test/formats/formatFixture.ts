// A FormatPresentation built from fixture files the way the packager builds one: the
// Smooth presentation from loadPresentation, and per level the codecs, frame rate, sar and
// fragment sizes from its source track.
import { readBoxHeader } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { codecsFor, frameRateOf, sarOf } from '../../src/formats/codecs.js';
import type { FormatLevel, FormatPresentation } from '../../src/formats/model.js';
import { readMoof } from '../../src/fragments/readMoof.js';
import type { TrackIndex } from '../../src/fragments/types.js';
import { loadPresentation, type LoadedPresentation } from '../../src/plan/loadPresentation.js';
import { openFileSource } from '../../src/source/fileSource.js';

export interface FormatFixture {
  loaded: LoadedPresentation;
  format: FormatPresentation;
}

export async function loadFormatFixture(inputs: string[]): Promise<FormatFixture> {
  const loaded = await loadPresentation(inputs);
  const levels: FormatLevel[] = [];
  for (const l of loaded.levels) {
    const level: FormatLevel = { streamName: l.streamName, bitrate: l.bitrate, codecs: codecsFor(l.track.sampleEntry), sizes: l.track.fragments.map((f) => f.size) };
    if (l.track.kind === 'video') {
      const duration = l.track.fragments.reduce((s, f) => s + f.duration, 0n);
      const frameRate = frameRateOf(await countSamples(l.track), duration, l.track.timescale);
      if (frameRate !== undefined) level.frameRate = frameRate;
      level.sar = sarOf(l.track.sampleEntry);
    }
    levels.push(level);
  }
  return { loaded, format: { presentation: loaded.presentation, levels } };
}

/** Samples of a track, counted from every fragment's `trun`s (built fragments: their generated moof). */
export async function countSamples(track: TrackIndex): Promise<number> {
  const src = await openFileSource(track.file);
  try {
    let count = 0;
    for (const f of track.fragments) {
      let bytes = f.built ? f.built.head() : await src.read(f.offset, Math.min(f.size, 4096));
      let header = readBoxHeader(new Cursor(bytes, 0), bytes.length);
      if (!f.built && header.size > bytes.length) {
        bytes = await src.read(f.offset, header.size);
        header = readBoxHeader(new Cursor(bytes, 0), bytes.length);
      }
      count += readMoof(new Cursor(bytes, 0, 'moof', header.headerSize, header.size), () => 0).sampleCount;
    }
    return count;
  } finally {
    await src.close();
  }
}
