// Shaka Packager (npm `shaka-packager`, its binary inside the package) as a second DASH and
// HLS writer: the real-client tests play its output to judge the clients and harness, and to
// compare with ours. Every video stream of the inputs becomes a level; every audio language
// one audio track (the first stream in it: a ladder muxes the same audio into each level).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { run } from './helpers.js';

const binaries: Record<string, string> = {
  'linux-x64': 'packager-linux-x64',
  'linux-arm64': 'packager-linux-arm64',
  'darwin-x64': 'packager-osx-x64',
  'darwin-arm64': 'packager-osx-arm64',
  'win32-x64': 'packager-win-x64.exe',
};

/** The packager binary of the `shaka-packager` dev dependency for this platform. */
export function shakaPackagerPath(): string {
  const name = binaries[`${process.platform}-${process.arch}`];
  if (name === undefined) throw new Error(`shaka-packager ships no binary for ${process.platform}-${process.arch}`);
  return join(dirname(createRequire(import.meta.url).resolve('shaka-packager/package.json')), 'bin', name);
}

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
  const args = streams.map((s) => {
    const fields = [`in=${s.file}`, `stream=${s.index}`, `init_segment=${join(outDir, s.label, 'init.mp4')}`, `segment_template=${join(outDir, s.label, '$Number$.m4s')}`, `playlist_name=${s.label}.m3u8`];
    if (s.type === 'audio') fields.push('hls_group_id=audio', `hls_name=${s.language}`);
    return fields.join(',');
  });
  const mpd = join(outDir, 'manifest.mpd');
  const master = join(outDir, 'master.m3u8');
  // Without --generate_static_live_mpd, segment templates make it write a dynamic (live) MPD.
  args.push('--segment_duration', String(opts.segmentSeconds ?? 2), '--generate_static_live_mpd', '--mpd_output', mpd, '--hls_master_playlist_output', master);
  const r = await run(shakaPackagerPath(), args, 120);
  if (r.code !== 0) throw new Error(`shaka-packager exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return { mpd, master, streams };
}
