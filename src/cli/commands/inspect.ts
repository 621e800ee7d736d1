import type { Command } from 'commander';
import type { InspectedProtection, InspectReport } from '../../inspect/inspectInputs.js';
import { diagnostic, printEvent, printStart } from '../events.js';
import { addTextOptions, FOURCC_OPTION, FRAGMENT_DURATION_OPTION, JSON_OPTION, parseFourCC, parseFragmentDuration, textInputs, type TextCliOptions } from '../options.js';
import { ExitCode, formatBitrate, formatBytes, formatSeconds } from '../output.js';

export function registerInspect(program: Command, signal: AbortSignal): void {
  const command = program
    .command('inspect')
    .description('show tracks, codecs, bitrates, resolutions, fragments, duration, alignment problems and warnings')
    .argument('<inputs...>', '.ismv/.isma or plain .mp4 files and/or a .ism server manifest')
    .option(...FRAGMENT_DURATION_OPTION)
    .option(...FOURCC_OPTION)
    .option(...JSON_OPTION);
  addTextOptions(command)
    .addHelpText('after', '\nExit code 1 when any problem is found; warnings (e.g. index.non-sync-start) alone leave it 0.\n\nExample:\n  smoothpub inspect video.ism\n  smoothpub inspect v1.ismv v2.ismv audio.isma --json')
    .action(async (inputs: string[], opts: TextCliOptions & { json?: boolean; fragmentDuration: string; fourcc: string }) => {
      if (opts.json) printStart('inspect');
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { inspectInputs } = await import('../../inspect/inspectInputs.js');
      const report = await inspectInputs(inputs, { fragmentDuration: parseFragmentDuration(opts.fragmentDuration), fourCC: parseFourCC(opts.fourcc), ...textInputs(opts), signal });
      if (opts.json) {
        for (const p of report.problems) printEvent('problem', diagnostic(p.code, p.message, p.context));
        for (const w of report.warnings) printEvent('warning', diagnostic(w.code, w.message, w.context));
        printEvent('result', { command: 'inspect', ...report });
      } else {
        process.stdout.write(formatReport(report));
      }
      process.exitCode = report.ok ? ExitCode.OK : ExitCode.FAILED;
    });
}

function formatReport(r: InspectReport): string {
  const lines: string[] = [];
  for (const s of r.sources) {
    lines.push(`${s.file}  (${formatBytes(s.size)}, brand ${s.brand || '-'}, indexed by ${s.method})`);
    for (const t of s.tracks) {
      const f = t.fragments;
      const first = f[0];
      const last = f[f.length - 1];
      const dur = first && last ? formatSeconds(last.time + last.duration - first.time, t.timescale) : '0';
      const shape = t.kind === 'video' ? `${t.width}x${t.height}` : t.kind === 'text' ? 'text' : `${t.channels ?? '?'}ch ${t.sampleRate ?? '?'} Hz`;
      const use = t.notUsed === undefined ? `${f.length} fragments  ${dur} s  starts at ${first?.time ?? 0}` : `not used: ${t.notUsed}`;
      lines.push(`  track ${t.trackId}  ${t.kind}  ${t.codec}  ${shape}  ${t.language}  ${formatBitrate(t.measuredBitrate)}  ${use}`);
      if (t.protection) lines.push(...protectionLines(t.protection));
    }
  }
  if (r.presentation) {
    const p = r.presentation;
    lines.push(`presentation: ${formatSeconds(p.duration, p.timeScale)} s`);
    for (const h of p.protection ?? []) lines.push(`  protection header: ${h.systemId} (${h.bytes} bytes)`);
    for (const s of p.streams) {
      lines.push(`  ${s.type} '${s.name}'${s.language ? ` (${s.language})` : ''}: ${s.chunks.length} chunks, ${s.qualityLevels.length} quality levels`);
      for (const q of s.qualityLevels) {
        const shape = s.type === 'video' ? ` ${q.maxWidth}x${q.maxHeight}` : s.type === 'text' ? ` ${s.subtype ?? 'text'}` : ` ${q.channels}ch ${q.samplingRate} Hz`;
        lines.push(`    ${q.fourCC}  ${formatBitrate(q.bitrate)} (${q.bitrate})${shape}`);
      }
    }
  }
  for (const w of r.warnings) lines.push(`warning ${w.code}: ${w.message}`);
  for (const p of r.problems) lines.push(`problem ${p.code}: ${p.message}`);
  if (r.ok) lines.push(r.warnings.length > 0 ? `no problems found, ${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''}` : 'no problems found');
  return lines.join('\n') + '\n';
}

/** An encrypted track: scheme, KID, IVs and pattern, then each DRM header's system and key IDs (never its data). */
function protectionLines(p: InspectedProtection): string[] {
  const iv = p.ivSize > 0 ? `${p.ivSize}-byte IVs` : `constant ${p.constantIvSize ?? '?'}-byte IV`;
  const pattern = p.pattern ? `, pattern ${p.pattern.crypt}:${p.pattern.skip}` : '';
  const lines = [`    encrypted ${p.scheme} (${p.originalFormat})  KID ${p.kid}  ${iv}${pattern}`];
  for (const s of p.systems) {
    const kids = s.kids.length > 0 ? `  KIDs ${s.kids.join(', ')}` : '';
    lines.push(`    ${s.box === 'pssh' ? 'pssh' : 'PIFF header'} ${s.name ?? 'unknown system'} ${s.systemId} (${s.bytes} bytes)${kids}`);
  }
  return lines;
}
