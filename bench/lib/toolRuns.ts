// What the benches that time smoothpub against peer tools (bench/encrypt.ts,
// bench/formats.ts) share: the renditions' names, each tool's output folder checked, and
// the per-tool table of times, CPU, memory and output, and how they start (the input ladder).
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { log, median } from './common.js';
import { folderStats } from './folderStats.js';
import type { Run } from './measure.js';
import type { Tool } from './runRounds.js';
import { cleanStaleTemps, ensurePresentation, type BenchPresentation } from '../media.js';
import { shakaPackagerPath } from '../../test/harness/ci.js';

/** A source's folder and playlist name in the peers' output: its file name (`video_2962k`, `audio`). */
export function levelName(file: string): string {
  return basename(file).replace(/\.ism[va]$/, '');
}

export function isAudio(file: string): boolean {
  return file.endsWith('.isma');
}

/** A tool's command, made after its output folder is (peers that do not create it fail otherwise). */
export function inFolder(out: string, cmd: () => string[]): () => string[] {
  return () => {
    mkdirSync(out, { recursive: true });
    return cmd();
  };
}

/** What a tool wrote: every name listed must be there, so a run that wrote nothing useful is not timed as a fast one. */
export function outputOf(t: Tool, root: string, expected: string[]): { files: number; bytes: number } {
  for (const name of expected) if (!existsSync(join(root, name))) throw new Error(`${t.name} did not write ${join(root, name)}`);
  return folderStats(root);
}

export const seconds = (r: Run): number => r.seconds;
export const cpu = (r: Run): number => r.cpuSeconds;
/** A tool's median over its timed runs (seconds unless told). */
export const med = (tool: Tool, f = seconds): number => median(tool.runs.map(f));
export const best = (tool: Tool): number => Math.min(...tool.runs.map(seconds));
export const rss = (tool: Tool): number => Math.max(...tool.runs.map((r) => r.peakRssMb));

/** One row a tool: median, best and CPU seconds, every run, peak RSS and what it wrote. */
export function printToolTable(rows: [Tool, { files: number; bytes: number }][], mb: (bytes: number) => string): void {
  const table = [
    ['tool', 'median s', 'best s', 'cpu s', 'runs s', 'peak RSS MB', 'output'],
    ...rows.map(([tool, out]) => [tool.name, med(tool).toFixed(2), best(tool).toFixed(2), med(tool, cpu).toFixed(2), tool.runs.map((r) => r.seconds.toFixed(2)).join(' '), rss(tool).toFixed(0), `${out.files} files, ${mb(out.bytes)} MB`]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  for (const r of table) console.log(r.map((v, c) => v.padEnd(widths[c]!)).join('  '));
}

/**
 * The common start of the packaging benches: stale temps cleaned, the `minutes`-long ladder
 * made or reused, the output folder created, the input logged, and Shaka Packager's binary
 * (the package's index.js wrapper exits 0 even when the packager fails, so the binary itself).
 */
export function packagingBenchInput(minutes: number, reps: number, out: string): { p: BenchPresentation; shakaPackager: string } {
  cleanStaleTemps();
  const p = ensurePresentation(minutes);
  mkdirSync(out, { recursive: true });
  log(`input: ${p.files.length} files, ${(p.bytes / 1e6).toFixed(0)} MB, ${p.seconds / 60} min; ${reps} timed rounds after 1 warm-up, interleaved`);
  const shakaPackager = shakaPackagerPath();
  if (shakaPackager === undefined) throw new Error(`no Shaka Packager binary for ${process.platform}-${process.arch}: npm ci installs the shaka-packager dev dependency`);
  return { p, shakaPackager };
}
