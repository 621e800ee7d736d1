import { spawnSync } from 'node:child_process';

/** Runs ffmpeg quietly (errors only, overwriting outputs) to completion; throws on failure. */
export function runFfmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed with ${r.status ?? r.signal ?? r.error?.message}`);
}
