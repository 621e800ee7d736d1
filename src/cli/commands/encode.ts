import type { Command } from 'commander';
import { cliProgress } from '../cliProgress.js';
import { ErrorCode, SmoothpubError } from '../../errors.js';
import type { EncodeProgress } from '../../encode/encodeLadder.js';
import { printEvent, printStart, throttle } from '../events.js';
import { FORCE_FLAGS, FOURCC_OPTION, JSON_OPTION, parseFourCC, parseFragmentDuration, parsePositiveInt } from '../options.js';
import { formatBytes } from '../output.js';

interface EncodeCliOptions {
  output: string;
  ladder?: string;
  fragmentDuration: string;
  preset: string;
  audioBitrate: string;
  audio: boolean;
  package: boolean;
  name?: string;
  force?: boolean;
  ffmpeg?: string;
  ffprobe?: string;
  fourcc: string;
  json?: boolean;
  progress: boolean;
}

export function registerEncode(program: Command, signal: AbortSignal): void {
  program
    .command('encode')
    .description('encode a video into a keyframe-aligned H.264/AAC ladder with the system ffmpeg, then package it as Smooth Streaming')
    .argument('<input>', 'any file ffmpeg reads')
    .requiredOption('-o, --output <dir>', 'output folder; created atomically')
    .option('--ladder <levels>', 'levels as WxH@kbps, e.g. 1280x720@3000k,640x360@800k (default: 1080p..234p, none taller than the input)')
    .option('--fragment-duration <s>', 'seconds between the keyframes every level shares (the fragment length)', '2')
    .option('--preset <name>', 'x264 preset: ultrafast .. veryslow (faster = bigger files at the same quality)', 'medium')
    .option('--audio-bitrate <kbps>', 'AAC stereo bitrate', '128')
    .option('--no-audio', 'leave the audio out')
    .option('--no-package', 'only make the MP4 renditions')
    .option('--name <name>', 'presentation name: <dir>/<name>.ism (default: the input file name)')
    .option(FORCE_FLAGS, 'replace the output folder if it exists (else output.exists)')
    .option('--ffmpeg <path>', 'ffmpeg executable (default: $SMOOTHPUB_FFMPEG, else ffmpeg on the PATH)')
    .option('--ffprobe <path>', 'ffprobe executable (default: $SMOOTHPUB_FFPROBE, else beside ffmpeg)')
    .option(...FOURCC_OPTION)
    .option('--no-progress', 'no progress bar')
    .option(...JSON_OPTION)
    .addHelpText(
      'after',
      [
        '',
        'Output:',
        '  <dir>/renditions/video_<W>x<H>_<kbps>k.mp4   plain MP4 per level, keyframes every --fragment-duration s',
        '  <dir>/renditions/audio.m4a                    AAC stereo, encoded once',
        '  <dir>/renditions/<name>.ism                   server manifest naming them (for package/publish/serve)',
        '  <dir>/<name>.ism/Manifest ...                 the Smooth presentation (unless --no-package)',
        'Nothing appears at <dir> until everything is written; Ctrl-C stops ffmpeg and leaves nothing.',
        '',
        'Examples:',
        '  smoothpub encode talk.mov -o out/talk',
        '  smoothpub encode talk.mov -o out/talk --ladder 1280x720@3000k,640x360@800k --preset veryfast',
      ].join('\n'),
    )
    .action(async (input: string, opts: EncodeCliOptions) => {
      if (opts.json) printStart('encode');
      // Loaded on use: `--help` and other commands need not load this command's library.
      const { encodeLadder } = await import('../../encode/encodeLadder.js');
      const { parseLadder } = await import('../../encode/ladder.js');
      const render = createEncodeRenderer(opts.json === true, opts.progress);
      const started = performance.now();
      try {
        const result = await encodeLadder({
          input,
          outDir: opts.output,
          ...(opts.ladder !== undefined && { ladder: parseLadder(opts.ladder) }),
          fragmentDuration: parseFragmentDuration(opts.fragmentDuration),
          preset: parsePreset(opts.preset),
          audioKbps: parsePositiveInt('--audio-bitrate', opts.audioBitrate, 1024),
          audio: opts.audio,
          package: opts.package,
          ...(opts.name !== undefined && { name: parseName(opts.name) }),
          overwrite: opts.force === true,
          ...(opts.ffmpeg !== undefined && { ffmpeg: opts.ffmpeg }),
          ...(opts.ffprobe !== undefined && { ffprobe: opts.ffprobe }),
          fourCC: parseFourCC(opts.fourcc),
          signal,
          onProgress: (p) => render.event(p),
        });
        render.stop();
        const seconds = (performance.now() - started) / 1000;
        if (opts.json) {
          printEvent('result', { command: 'encode', outDir: result.outDir, renditions: result.renditions, audio: result.audio, ism: result.ism, presentation: result.presentation, seconds });
        } else {
          const levels = result.renditions.map((r) => `${r.width}x${r.height}@${r.kbps}k`).join(', ');
          process.stdout.write(`encoded ${result.renditions.length} levels (${levels})${result.audio ? ` + AAC ${result.audio.kbps}k` : ''} in ${seconds.toFixed(1)} s\nrenditions: ${result.outDir}/renditions\n`);
          if (result.presentation) process.stdout.write(`packaged ${result.presentation.objects} objects (${formatBytes(result.presentation.bytes)})\nmanifest: ${result.presentation.manifest}\n`);
        }
      } finally {
        render.stop();
      }
    });
}

/** A bar on a TTY (encode by media time, then package by objects); JSON lines with --json, at most 4 per second. */
function createEncodeRenderer(json: boolean, progress: boolean): { event(p: EncodeProgress): void; stop(): void } {
  if (json) {
    const final = (p: EncodeProgress): boolean => (p.phase === 'encode' ? p.fraction === 1 : p.objects === p.totalObjects);
    return { event: throttle((p) => printEvent('progress', { ...p }), final), stop: () => undefined };
  }
  if (!progress || !process.stderr.isTTY) return { event: () => undefined, stop: () => undefined };
  const bar = new (cliProgress().SingleBar)(
    { stream: process.stderr, format: ' {phase} {bar} {percentage}% | {detail} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
    cliProgress().Presets.shades_classic,
  );
  let phase: EncodeProgress['phase'] | undefined;
  return {
    event(p) {
      if (p.phase !== phase) {
        if (phase !== undefined) bar.stop();
        phase = p.phase;
        bar.start(1000, 0, { phase: p.phase === 'encode' ? 'encoding ' : 'packaging', detail: '' });
      }
      if (p.phase === 'encode') {
        const speed = p.speed === undefined ? '' : ` at ${p.speed.toFixed(2)}x`;
        const detail = p.duration === undefined ? `${p.seconds.toFixed(1)} s${speed}` : `${p.seconds.toFixed(1)} of ${p.duration.toFixed(1)} s${speed}`;
        bar.update(Math.round((p.fraction ?? 0) * 1000), { detail });
      } else {
        bar.update(Math.round((p.objects / Math.max(1, p.totalObjects)) * 1000), { detail: `${p.objects}/${p.totalObjects} objects` });
      }
    },
    stop() {
      if (phase !== undefined) bar.stop();
      phase = undefined;
    },
  };
}

const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo'];

function parsePreset(value: string): string {
  if (!PRESETS.includes(value)) throw new SmoothpubError(ErrorCode.BAD_OPTION, `--preset must be one of ${PRESETS.join(', ')}, got '${value}'`);
  return value;
}

function parseName(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(value)) throw new SmoothpubError(ErrorCode.BAD_OPTION, `--name must be letters, digits, '.', '_' or '-', got '${value}'`);
  return value;
}
