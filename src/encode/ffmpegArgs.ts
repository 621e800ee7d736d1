import type { Rendition } from './planRenditions.js';
import type { SourceInfo } from './probeInput.js';

export interface FfmpegPlan {
  input: string;
  source: SourceInfo;
  renditions: readonly Rendition[];
  /** Folder the outputs are written to. */
  dir: string;
  /** Seconds between keyframes: every rendition cuts its GOPs at the same times. */
  fragmentDuration: number;
  /** x264 preset (ultrafast .. veryslow). */
  preset: string;
  /** The AAC file's name, or undefined for no audio. */
  audioFile: string | undefined;
  audioKbps: number;
}

/**
 * One ffmpeg run for the whole ladder: the input is decoded once and `split` into one
 * scaler per rendition. Every rendition gets the same keyframe rule: forced keyframes
 * every `fragmentDuration` seconds of input time, no scene-cut keyframes, and a fixed GOP
 * length as the upper bound, so keyframes fall on the same frames in every level and the
 * packager can cut aligned fragments there. Audio is encoded once, into its own file.
 */
export function buildFfmpegArgs(plan: FfmpegPlan): string[] {
  const { source, renditions } = plan;
  const labels = renditions.map((_, i) => `s${i}`);
  const filters = [`[0:${source.videoStream}]split=${renditions.length}${labels.map((l) => `[${l}]`).join('')}`, ...renditions.map((r, i) => `[s${i}]scale=${r.width}:${r.height},setsar=1,format=yuv420p[v${i}]`)];
  const gop = Math.max(1, Math.round(source.fps * plan.fragmentDuration));
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-nostats', '-progress', 'pipe:1', '-n', '-i', plan.input, '-filter_complex', filters.join(';')];
  renditions.forEach((r, i) => {
    args.push(
      '-map', `[v${i}]`,
      '-c:v', 'libx264', '-preset', plan.preset, '-profile:v', 'high',
      // Capped VBR: a player picks a level by its bitrate, so peaks stay near it.
      '-b:v', `${r.kbps}k`, '-maxrate', `${Math.round(r.kbps * 1.1)}k`, '-bufsize', `${r.kbps * 2}k`,
      '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
      '-force_key_frames', `expr:gte(t,n_forced*${plan.fragmentDuration})`,
      '-an', '-sn', '-dn', '-map_chapters', '-1', '-movflags', '+faststart', '-f', 'mp4', `${plan.dir}/${r.file}`,
    );
  });
  if (plan.audioFile !== undefined && source.audio !== undefined) {
    args.push('-map', `0:${source.audio.stream}`, '-c:a', 'aac', '-b:a', `${plan.audioKbps}k`, '-ac', '2');
    // Smooth clients (and AAC-LC profiles in general) stop at 48 kHz.
    if (source.audio.sampleRate > 48000) args.push('-ar', '48000');
    args.push('-vn', '-sn', '-dn', '-map_chapters', '-1', '-movflags', '+faststart', '-f', 'mp4', `${plan.dir}/${plan.audioFile}`);
  }
  return args;
}
