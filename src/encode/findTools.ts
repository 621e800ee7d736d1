import { basename, dirname, join } from 'node:path';

export interface ToolPaths {
  ffmpeg: string;
  ffprobe: string;
}

/**
 * ffmpeg: the option, else $SMOOTHPUB_FFMPEG, else `ffmpeg` on the PATH. ffprobe: the
 * option, else $SMOOTHPUB_FFPROBE, else the ffprobe beside the chosen ffmpeg (a build in
 * /opt/ffmpeg/bin ships both; `ffmpeg-6` pairs with `ffprobe-6`).
 */
export function findTools(ffmpeg?: string, ffprobe?: string, env: NodeJS.ProcessEnv = process.env): ToolPaths {
  const ff = nonEmpty(ffmpeg) ?? nonEmpty(env.SMOOTHPUB_FFMPEG) ?? 'ffmpeg';
  const probe = nonEmpty(ffprobe) ?? nonEmpty(env.SMOOTHPUB_FFPROBE) ?? siblingProbe(ff);
  return { ffmpeg: ff, ffprobe: probe };
}

function siblingProbe(ffmpeg: string): string {
  const name = basename(ffmpeg);
  const probeName = name.includes('ffmpeg') ? name.replace('ffmpeg', 'ffprobe') : 'ffprobe';
  return ffmpeg.includes('/') ? join(dirname(ffmpeg), probeName) : probeName;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
