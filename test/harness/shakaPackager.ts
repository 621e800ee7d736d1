// Shaka Packager (npm `shaka-packager`, its binary inside) as a second DASH/HLS writer: the
// interoperability tests compare smoothpub's manifests with what it writes from the same
// files, and the benchmarks time it. Find the binary with requireShakaPackager (ci.ts).
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { run, type RunResult } from '../e2e/helpers.js';

export interface ShakaStream {
  /** Source file. */
  input: string;
  /** Which of the file's streams: the first of a kind, or one by its index in the file. */
  stream: 'video' | 'audio' | 'text' | number;
  /** Folder (under the output folder) for this stream's init segment and segments. */
  folder: string;
  /** ISO 639 language to state, when the source's is not the one wanted. */
  language?: string;
  /** HLS: the audio group and rendition name of an audio stream. */
  hlsGroup?: string;
  hlsName?: string;
}

export interface ShakaOptions {
  /** Target segment length in seconds (Shaka's default is 6): 2 to cut where Smooth does. */
  segmentDuration?: number;
  /** `$Number$` (default) or `$Time$` in the segment template. */
  template?: '$Number$' | '$Time$';
  /** Also write an HLS multivariant playlist of this name beside the MPD. */
  hlsMaster?: string;
  timeoutSeconds?: number;
  /** Raw-key Common Encryption of every segment (`--enable_raw_key_encryption`, no clear lead). */
  encryption?: { scheme: 'cenc' | 'cbcs'; kid: string; key: string };
}

export interface ShakaOutput extends RunResult {
  /** The MPD's path: `manifest.mpd` in the output folder. */
  mpd: string;
  /** The HLS multivariant playlist's path, when asked for. */
  hlsMaster?: string;
}

/**
 * Packages `streams` into `outDir` as Shaka Packager does for DASH (and HLS) on demand:
 * a static MPD (`--generate_static_live_mpd`) with SegmentTemplate and SegmentTimeline,
 * one folder a stream holding `init.mp4` and numbered `.m4s` segments. Rejects with the
 * packager's output when it fails.
 */
export async function runShakaPackager(binary: string, streams: ShakaStream[], outDir: string, options: ShakaOptions = {}): Promise<ShakaOutput> {
  await mkdir(outDir, { recursive: true });
  const template = options.template ?? '$Number$';
  const args = streams.map((s) => {
    const fields = [`in=${s.input}`, `stream=${s.stream}`, `init_segment=${join(outDir, s.folder, 'init.mp4')}`, `segment_template=${join(outDir, s.folder, `${template}.m4s`)}`];
    if (s.language !== undefined) fields.push(`language=${s.language}`);
    if (s.hlsGroup !== undefined) fields.push(`hls_group_id=${s.hlsGroup}`);
    if (s.hlsName !== undefined) fields.push(`hls_name=${s.hlsName}`);
    if (options.hlsMaster !== undefined) fields.push(`playlist_name=${s.folder}.m3u8`);
    return fields.join(',');
  });
  const mpd = join(outDir, 'manifest.mpd');
  args.push('--segment_duration', String(options.segmentDuration ?? 2), '--generate_static_live_mpd', '--mpd_output', mpd);
  if (options.hlsMaster !== undefined) args.push('--hls_master_playlist_output', join(outDir, options.hlsMaster), '--hls_playlist_type', 'VOD');
  const e = options.encryption;
  // CommonSystem: a W3C common pssh and its ContentProtection, what Clear Key players look for.
  if (e) args.push('--enable_raw_key_encryption', '--keys', `label=:key_id=${e.kid}:key=${e.key}`, '--protection_scheme', e.scheme, '--clear_lead', '0', '--protection_systems', 'CommonSystem');
  const r = await run(binary, args, options.timeoutSeconds ?? 120);
  if (r.code !== 0) throw new Error(`${basename(binary)} exited ${r.code}: ${r.stderr.split('\n').filter((l) => !l.startsWith('I')).join('\n')}`);
  const out: ShakaOutput = { ...r, mpd };
  if (options.hlsMaster !== undefined) out.hlsMaster = join(outDir, options.hlsMaster);
  return out;
}
