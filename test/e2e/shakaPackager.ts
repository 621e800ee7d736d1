// Shaka Packager (npm `shaka-packager`, its binary inside the package) as a second DASH and
// HLS writer: the real-client tests play its output to judge the clients and harness, and to
// compare with ours. Every video stream of the inputs becomes a level; every audio language
// one audio track (the first stream in it: a ladder muxes the same audio into each level).
import { shakaPackagerPath } from '../harness/ci.js';
import { runShakaPackager } from '../harness/shakaPackager.js';
import { run } from './helpers.js';

export interface ShakaStream {
  file: string;
  /** Stream index in the file (ffprobe's order, which is Shaka Packager's `stream=` number). */
  index: number;
  type: 'video' | 'audio';
  language?: string;
  /** Folder of its init segment and segments, and its media playlist, relative to the output. */
  label: string;
}

export interface ShakaOutput {
  /** `manifest.mpd` and `master.m3u8` in the output folder (the names smoothpub writes). */
  mpd: string;
  master: string;
  streams: ShakaStream[];
}

/**
 * Packages `inputs` into `outDir` as a static DASH MPD (SegmentTemplate + SegmentTimeline,
 * `$Number$` segments) and fMP4 HLS, `segmentSeconds` per segment (default 2: the fixtures'
 * GOP, so each segment is one Smooth fragment and a switch can happen at every one).
 */
export async function packageWithShakaPackager(inputs: string[], outDir: string, opts: { segmentSeconds?: number } = {}): Promise<ShakaOutput> {
  const streams: ShakaStream[] = [];
  const languages = new Set<string>();
  for (const file of inputs) {
    const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=index,codec_type:stream_tags=language', '-of', 'json', file], 30);
    if (probe.code !== 0) throw new Error(`ffprobe ${file}: ${probe.stderr}`);
    const found = (JSON.parse(probe.stdout) as { streams: { index: number; codec_type: string; tags?: { language?: string } }[] }).streams;
    for (const s of found) {
      if (s.codec_type === 'video') {
        streams.push({ file, index: s.index, type: 'video', label: `video${streams.filter((x) => x.type === 'video').length}` });
      } else if (s.codec_type === 'audio') {
        const language = s.tags?.language ?? 'und';
        if (languages.has(language)) continue;
        languages.add(language);
        streams.push({ file, index: s.index, type: 'audio', language, label: `audio-${language}` });
      }
    }
  }
  const binary = shakaPackagerPath();
  if (binary === undefined) throw new Error('shaka-packager is not installed (npm ci installs the devDependency)');
  const out = await runShakaPackager(
    binary,
    streams.map((s) => ({ input: s.file, stream: s.index, folder: s.label, ...(s.type === 'audio' && { hlsGroup: 'audio', hlsName: s.language! }) })),
    outDir,
    { segmentDuration: opts.segmentSeconds ?? 2, hlsMaster: 'master.m3u8' },
  );
  const mpd = out.mpd;
  const master = out.hlsMaster!;
  return { mpd, master, streams };
}
