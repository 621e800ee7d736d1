import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFolderStore } from '../../src/stores/folderStore.js';
import { startIngest, type Ingest, type IngestOptions } from '../../src/live/ingestServer.js';
import type { LiveEvent } from '../../src/live/liveEvent.js';
import type { IngestStore } from '../../src/live/readStored.js';
import { startStaticServer, type StaticServer } from '../../src/play/staticServer.js';

/** A running `ffmpeg ... -f ismv http://.../<name>.isml/Streams(<id>)`. */
export interface FfmpegPush {
  child: ChildProcess;
  /** ffmpeg's exit code (0 even after the server answered 500: it never reads the answer). */
  done: Promise<number | null>;
  stderr(): string;
  kill(signal?: NodeJS.Signals): void;
}

export interface PushOptions {
  /** `-re` (default): in real time, as an encoder sends. */
  realtime?: boolean;
  /** Seconds into the inputs to start from, keeping their timestamps (`-ss S ... -copyts`): an encoder restarted later in the event. */
  startAt?: number;
  /** Seconds of input to send (`-t`). */
  duration?: number;
  /** Repeat each input this many more times (`-stream_loop`): a 30 s event from the 8 s fixtures with 3. */
  loop?: number;
}

/** ffmpeg's arguments to mux `inputs` (every track of each) with `-c copy` as one live push to `output`: a URL, or a file to compare with. */
export function ffmpegPushArgs(inputs: string[], options: PushOptions, output: string): string[] {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
  for (const input of inputs) {
    if (options.realtime !== false) args.push('-re');
    if (options.loop !== undefined) args.push('-stream_loop', String(options.loop));
    if (options.startAt !== undefined) args.push('-ss', String(options.startAt));
    if (options.duration !== undefined) args.push('-t', String(options.duration));
    args.push('-i', input);
  }
  inputs.forEach((_, i) => args.push('-map', String(i)));
  args.push('-c', 'copy');
  if (options.startAt !== undefined) args.push('-copyts');
  args.push('-movflags', '+isml+frag_keyframe', '-f', 'ismv', output);
  return args;
}

/** Pushes `inputs` (every track of each) with `-c copy` as one stream, the way an encoder does. */
export function pushWithFfmpeg(url: string, inputs: string[], options: PushOptions = {}): FfmpegPush {
  const child = spawn('ffmpeg', ffmpegPushArgs(inputs, options, url), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, done, stderr: () => stderr, kill: (signal = 'SIGKILL') => void child.kill(signal) };
}

/** An ingest server in this process, every event it reports kept. */
export interface IngestRun {
  ingest: Ingest;
  events: LiveEvent[];
  /** Where encoders push stream `id` of presentation `name`. */
  pushUrl(name: string, id: string, credentials?: string): string;
  close(): Promise<void>;
}

export async function startIngestRun(store: IngestStore, options: Omit<IngestOptions, 'store' | 'onEvent'> = {}): Promise<IngestRun> {
  const events: LiveEvent[] = [];
  const ingest = await startIngest({ ...options, store, onEvent: (e) => events.push(e) });
  return {
    ingest,
    events,
    pushUrl: (name, id, credentials) => `${credentials === undefined ? ingest.url : ingest.url.replace('http://', `http://${credentials}@`)}/${name}.isml/Streams(${id})`,
    close: () => ingest.close(),
  };
}

/**
 * A live event to play, for player tests: ingest into a fresh folder, a static web server
 * over `<folder>/<name>.ism/`, and ffmpeg pushing `inputs` in real time. `manifestUrl` is
 * live from the first fragment on and becomes VOD after the push ends (`push.done`, then an
 * `finalized` event).
 */
export interface LiveFixture extends IngestRun {
  folder: string;
  name: string;
  web: StaticServer;
  manifestUrl: string;
  push: FfmpegPush;
}

export async function startLiveFixture(inputs: string[], options: PushOptions & { name?: string; ingest?: Omit<IngestOptions, 'store' | 'onEvent'> } = {}): Promise<LiveFixture> {
  const folder = await mkdtemp(join(tmpdir(), 'smoothpub-live-'));
  const name = options.name ?? 'event';
  const run = await startIngestRun(createFolderStore(folder), options.ingest);
  const web = await startStaticServer({ root: join(folder, `${name}.ism`), mount: `/${name}.ism/` });
  const push = pushWithFfmpeg(run.pushUrl(name, 'all'), inputs, options);
  return {
    ...run,
    folder,
    name,
    web,
    manifestUrl: `${web.url}${name}.ism/Manifest`,
    push,
    close: async () => {
      push.kill();
      await push.done;
      await run.close();
      await web.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
