// Plain (progressive) MP4 benchmark media, derived from bench/media.ts's cached ISMV
// ladder with `-c copy` (no re-encoding), cached in the git-ignored .cache/bench/:
// - the 7-level ladder as one .mp4 per level plus audio.m4a, keyframes every 2 s as in
//   the ISMV; the moov alternates between end (ffmpeg's default, what encoders write)
//   and start (-movflags +faststart), so both layouts are timed;
// - a long muxed video+audio .mp4 looped from the top level with -stream_loop -c copy,
//   past 4 GiB so the muxer must use co64 chunk offsets.
// Everything is built in a temp name and renamed, so an interrupted run is never reused.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, LEVELS, ensurePresentation } from '../media.js';
import { removeStaleTemps } from './removeStaleTemps.js';
import { runFfmpeg } from './runFfmpeg.js';

export interface PlainLadder {
  dir: string;
  /** Video levels first (highest bitrate first), audio.m4a last. */
  files: string[];
  bytes: number;
  seconds: number;
}

export interface PlainMovie {
  file: string;
  bytes: number;
  seconds: number;
}

function log(msg: string): void {
  process.stderr.write(`[media] ${msg}\n`);
}

function bytesOf(files: string[]): number {
  return files.reduce((s, f) => s + statSync(f).size, 0);
}

/** Level i keeps its moov at the end when i is even (incl. the top level), moves it to the front when odd. */
function moovFlags(i: number): string[] {
  return i % 2 === 0 ? [] : ['-movflags', '+faststart'];
}

/** The `minutes`-minute ladder as plain MP4s in `.cache/bench/plain<minutes>min/`. */
export function ensurePlainLadder(minutes: number): PlainLadder {
  const dir = join(CACHE, `plain${minutes}min`);
  const names = [...LEVELS.map((l) => `video_${l.bitrate / 1000}k.mp4`), 'audio.m4a'];
  const files = names.map((n) => join(dir, n));
  if (!existsSync(dir)) {
    const ismv = ensurePresentation(minutes);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const t0 = performance.now();
    log(`remuxing the ${minutes}-minute ISMV ladder into plain MP4s in ${dir}`);
    ismv.files.forEach((src, i) => {
      const audio = src.endsWith('.isma');
      runFfmpeg(['-i', src, '-map', audio ? '0:a:0' : '0:v:0', '-c', 'copy', ...(audio ? ['-movflags', '+faststart'] : moovFlags(i)), join(tmp, names[i]!)]);
    });
    renameSync(tmp, dir);
    log(`remuxed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { dir, files, bytes: bytesOf(files), seconds: minutes * 60 };
}

/**
 * The top level and the audio of `ladder` muxed into one plain MP4, looped `loops` times
 * (moov at the end, as ffmpeg writes it), cached as `.cache/bench/plainloop/x<loops>.mp4`.
 */
export function ensureLoopedMovie(ladder: PlainLadder, loops: number): PlainMovie {
  const dir = join(CACHE, 'plainloop');
  const file = join(dir, `${ladder.seconds / 60}min-x${loops}.mp4`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}.mp4`;
    const t0 = performance.now();
    log(`looping the top level + audio ${loops}x into ${file}`);
    const loop = ['-stream_loop', String(loops - 1)];
    runFfmpeg([...loop, '-i', ladder.files[0]!, ...loop, '-i', ladder.files.at(-1)!, '-map', '0:v:0', '-map', '1:a:0', '-c', 'copy', tmp]);
    renameSync(tmp, file);
    log(`looped in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(statSync(file).size / 1e9).toFixed(2)} GB`);
  }
  return { file, bytes: statSync(file).size, seconds: ladder.seconds * loops };
}

/** Looped movies other than `keep` (e.g. from a run with another --big-mb), to free their space. */
export function removeOtherLoopedMovies(keep: string[]): void {
  const dir = join(CACHE, 'plainloop');
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!name.includes('.tmp-') && !keep.includes(path)) rmSync(path, { force: true });
  }
}

/** Temp files and folders of this module left by interrupted runs (whose process is gone). */
export function cleanStalePlainTemps(): void {
  for (const dir of [CACHE, join(CACHE, 'plainloop')]) removeStaleTemps(dir, /^(?:plain\d+min|.+\.mp4)\.tmp-(\d+)(?:\.mp4)?$/);
}
