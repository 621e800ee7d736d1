// Builds an IIS-style Smooth text track (`.ismt`) from a subtitle file, aligned with the
// fragments of a video file, because ffmpeg 5.1 refuses TTML in fragmented MP4/ISMV
// (scripts/make-fixtures.sh, section `textpass`):
//   ftyp   `isml`, compatible `piff`, `iso2`
//   moov   handler `subt`, `sthd`, sample entry `stpp` (the TTML namespace), mdhd language
//   moof   per video fragment: tfhd (no default-base-is-moof, as PIFF), trun of one sample
//          lasting the fragment, PIFF `tfxd`; no `tfdt`
//   mdat   one TTML document whose times are relative to the fragment's start
// Run: node dist/test/harness/textTrackFixture.js <video.ismv> <subtitles> <language> <out.ismt>
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { indexSource } from '../../src/fragments/indexSource.js';
import { localAccess } from '../../src/source/sourceAccess.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { textInitSegment } from '../../src/text/textInitSegment.js';
import { textWindows } from '../../src/text/textWindows.js';
import { ttmlFragment } from '../../src/text/ttmlFragment.js';
import { writeTtml } from '../../src/text/writeTtml.js';
import { concatBytes } from '../../src/util/concatBytes.js';

/** `trackId`: the track's ID in tkhd, trex and every tfhd (1 in the fixture). */
export async function buildTextTrack(video: string, subtitles: string, language: string, trackId = 1): Promise<Uint8Array> {
  const src = await localAccess.open(video);
  let fragments: { time: bigint; duration: bigint }[];
  let timescale: number;
  try {
    const ix = await indexSource(src);
    const track = ix.tracks.find((t) => t.kind === 'video') ?? ix.tracks[0]!;
    timescale = track.timescale;
    fragments = track.fragments.map((f) => ({ time: f.time, duration: f.duration }));
  } finally {
    await src.close();
  }
  const cues = readSubtitles(readFileSync(subtitles), subtitles);
  const ms = (t: bigint): number => Number((t * 1000n) / BigInt(timescale));
  const windows = textWindows(cues, fragments.map((f) => ({ start: ms(f.time), end: ms(f.time + f.duration) })));
  const tag = language.slice(0, 2);
  const parts: Uint8Array[] = [textInitSegment({ trackId, timescale, language, brands: ['isml', 'piff', 'iso2'] })];
  windows.forEach((w, i) => {
    const f = fragments[i]!;
    const doc = new TextEncoder().encode(writeTtml(w, { language: tag, timeBase: 'fragment' }));
    parts.push(ttmlFragment(doc, { trackId, sequenceNumber: i + 1, time: f.time, duration: f.duration, timescale, tfxd: true, tfdt: false }));
  });
  return concatBytes(parts);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [video, subtitles, language, out] = process.argv.slice(2);
  if (!video || !subtitles || !language || !out) throw new Error('usage: textTrackFixture.js <video.ismv> <subtitles> <language> <out.ismt>');
  writeFileSync(out, await buildTextTrack(video, subtitles, language));
}
