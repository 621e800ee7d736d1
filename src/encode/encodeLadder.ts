import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { FourCCChoice } from '../smooth/fourCCChoice.js';
import type { IsmEntry } from '../smooth/ism.js';
import { writeIsm } from '../smooth/writeIsm.js';
import type { WriteProgress } from '../package/writePlanToFolder.js';
import { buildFolderAtomically } from '../util/atomicFolder.js';
import { exists } from '../util/exists.js';
import { buildFfmpegArgs } from './ffmpegArgs.js';
import { findTools } from './findTools.js';
import { DEFAULT_LADDER, type Rung } from './ladder.js';
import { planRenditions, type Rendition } from './planRenditions.js';
import { probeInput, type SourceInfo } from './probeInput.js';
import { createProgressReader } from './readProgress.js';
import { runTool } from './runTool.js';

export interface EncodeOptions {
  input: string;
  /** The output folder; see `encodeLadder` for its layout. Created atomically. */
  outDir: string;
  /** Levels; default DEFAULT_LADDER without the levels taller than the source. */
  ladder?: readonly Rung[];
  /** Seconds between the keyframes all levels share (= the fragment length); default 2. */
  fragmentDuration?: number;
  /** x264 preset; default 'medium'. */
  preset?: string;
  /** AAC bitrate in kbit/s; default 128. */
  audioKbps?: number;
  /** Encode the input's first audio stream (if it has one); default true. */
  audio?: boolean;
  /** Also package the renditions as a Smooth presentation; default true. */
  package?: boolean;
  /** The presentation's name (`<name>.ism`); default the input's file name without extension. */
  name?: string;
  /** Replace an existing output folder (atomically). */
  overwrite?: boolean;
  /** ffmpeg / ffprobe executables; default $SMOOTHPUB_FFMPEG / $SMOOTHPUB_FFPROBE, else from the PATH. */
  ffmpeg?: string;
  ffprobe?: string;
  fourCC?: FourCCChoice;
  signal?: AbortSignal;
  onProgress?: (p: EncodeProgress) => void;
}

export type EncodeProgress =
  | { phase: 'encode'; seconds: number; duration: number | undefined; fraction: number | undefined; speed: number | undefined }
  | ({ phase: 'package' } & WriteProgress);

export interface EncodedRendition extends Rendition {
  path: string;
}

export interface EncodeResult {
  outDir: string;
  source: SourceInfo;
  renditions: EncodedRendition[];
  audio: { path: string; kbps: number } | undefined;
  /** The `.ism` server manifest naming the renditions (for package, publish, serve). */
  ism: string;
  /** The packaged presentation, unless `package: false`. */
  presentation: { dir: string; manifest: string; objects: number; bytes: number } | undefined;
}

export const RENDITIONS_FOLDER = 'renditions';
const AUDIO_FILE = 'audio.m4a';

/**
 * Encodes `input` into a keyframe-aligned H.264/AAC ladder with one ffmpeg run, then
 * packages it as Smooth Streaming. The output folder holds
 *
 *     <outDir>/renditions/video_<W>x<H>_<kbps>k.mp4   one plain MP4 per level (video only)
 *     <outDir>/renditions/audio.m4a                    AAC stereo, once
 *     <outDir>/renditions/<name>.ism                   server manifest naming them
 *     <outDir>/<name>.ism/Manifest, QualityLevels(..)  the packaged presentation
 *
 * Everything is built in a hidden folder beside `outDir` and renamed into place at the
 * end: a failure or an abort (which kills ffmpeg) leaves nothing at `outDir`.
 */
export async function encodeLadder(opts: EncodeOptions): Promise<EncodeResult> {
  const outDir = resolve(opts.outDir);
  const fragmentDuration = opts.fragmentDuration ?? 2;
  if (!(fragmentDuration > 0 && fragmentDuration <= 60)) throw new SmoothpubError(ErrorCode.BAD_OPTION, `fragment duration must be between 0 and 60 seconds, got ${fragmentDuration}`);
  if (!opts.overwrite && (await exists(outDir))) {
    throw new SmoothpubError(ErrorCode.OUTPUT_EXISTS, 'output folder already exists; choose another or pass --force to replace it', { file: outDir });
  }
  await stat(opts.input).catch((e: NodeJS.ErrnoException) => {
    throw new SmoothpubError(ErrorCode.READ_FAILED, `cannot read the input: ${e.code ?? e.message}`, { file: opts.input }, { cause: e });
  });
  const tools = findTools(opts.ffmpeg, opts.ffprobe);
  const signal = opts.signal;
  const probed = await probeInput(tools.ffprobe, opts.input, signal);
  if ('noVideo' in probed) throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, 'the input has no video stream to encode', { file: opts.input });
  const source = probed;
  const renditions = planRenditions(opts.ladder ?? DEFAULT_LADDER, source, opts.ladder === undefined);
  const audioKbps = opts.audioKbps ?? 128;
  const withAudio = opts.audio !== false && source.audio !== undefined;
  const name = opts.name ?? presentationName(opts.input);

  const ismName = `${name}.ism`;
  const presentation = await buildFolderAtomically(outDir, async (temp) => {
    const tempRenditions = join(temp, RENDITIONS_FOLDER);
    await mkdir(tempRenditions, { recursive: true });
    const args = buildFfmpegArgs({ input: opts.input, source, renditions, dir: tempRenditions, fragmentDuration, preset: opts.preset ?? 'medium', audioFile: withAudio ? AUDIO_FILE : undefined, audioKbps });
    const onLine = createProgressReader((p) => {
      const seconds = source.duration === undefined ? p.seconds : Math.min(p.seconds, source.duration);
      const fraction = p.end ? 1 : source.duration === undefined ? undefined : seconds / source.duration;
      opts.onProgress?.({ phase: 'encode', seconds: p.end && source.duration !== undefined ? source.duration : seconds, duration: source.duration, fraction, speed: p.speed });
    });
    await runTool(tools.ffmpeg, args, { tool: 'ffmpeg', input: opts.input, onLine, ...(signal && { signal }) });
    signal?.throwIfAborted();

    const entries: IsmEntry[] = renditions.map((r) => ({ kind: 'video', src: `${r.file}`, systemBitrate: r.kbps * 1000, trackId: 1 }));
    if (withAudio) entries.push({ kind: 'audio', src: AUDIO_FILE, systemBitrate: audioKbps * 1000, trackId: 1 });
    await writeFile(join(tempRenditions, ismName), writeIsm({ entries }));

    if (opts.package === false) return undefined;
    const { packagePresentation } = await import('../package/packagePresentation.js');
    const packaged = await packagePresentation({
      inputs: [join(tempRenditions, ismName)],
      outDir: join(temp, ismName),
      ...(opts.fourCC && { fourCC: opts.fourCC }),
      ...(signal && { signal }),
      onProgress: (p) => opts.onProgress?.({ phase: 'package', ...p }),
    });
    return { dir: join(outDir, ismName), manifest: join(outDir, ismName, 'Manifest'), objects: packaged.objects, bytes: packaged.bytes };
  }, signal);
  const finalRenditions = join(outDir, RENDITIONS_FOLDER);
  return {
    outDir,
    source,
    renditions: renditions.map((r) => ({ ...r, path: join(finalRenditions, r.file) })),
    audio: withAudio ? { path: join(finalRenditions, AUDIO_FILE), kbps: audioKbps } : undefined,
    ism: join(finalRenditions, ismName),
    presentation,
  };
}

/** `movies/My Film.final.mp4` -> `My_Film.final`: a name safe in URLs and file systems. */
export function presentationName(input: string): string {
  const stem = basename(input, extname(input)).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return stem === '' ? 'video' : stem;
}
