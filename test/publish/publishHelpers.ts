// Shared by the publish end-to-end tests: run the real CLI (bin/smoothpub.js) against the
// emulators with credentials in its environment only, and read its --json output.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import assert from 'node:assert/strict';
import { countVideoFrames, fixtureSets, mapLimit, playWithGstreamer, repoRoot, type FixtureSet } from '../e2e/helpers.js';
import type { Azurite } from '../harness/azurite.js';
import { parseEvents, type EventLine } from '../cli/jsonEvents.js';

export const bin = join(repoRoot, 'bin', 'smoothpub.js');
export const cleanIsm = join(repoRoot, 'test', 'fixtures', 'clean', 'clean.ism');
export const usersIsm = join(repoRoot, 'test', 'fixtures', 'users', 'users.ism');

/** The machine's environment without any storage credentials, plus `extra`. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AZURE_|AWS_)/.test(k) && k !== 'AWS_CA_BUNDLE') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
}

/** Starts `node bin/smoothpub.js ...args` (no TTY, so no progress bar); `detached` in a process group of its own. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, detached = false): CliRun {
  const started = Date.now();
  // `detached`: a process group of its own, to be signalled as a terminal's Ctrl-C does.
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot, detached });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
  return { child, done };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliResult> {
  const run = startCli(args, env);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  return run.done.finally(() => clearTimeout(timer));
}

/** For assertion messages. */
export function describeRun(r: CliResult): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''} after ${r.ms} ms\n--- stdout ---\n${r.stdout.slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;
}

/** What `publish --json` prints last: its `result` event. */
export interface SummaryLine {
  event: 'result';
  command: 'publish';
  store: string;
  objects: number;
  uploaded: number;
  skipped: number;
  kept: number;
  bytes: number;
  seconds: number;
  retries: number;
  dryRun: boolean;
  publicAccess?: { before: string; after: string; storedAccessPolicies: number };
  cors?: 'added' | 'present';
}

/** Every line of stdout, each checked to be a JSON event. */
export function jsonLines(stdout: string): EventLine[] {
  return parseEvents(stdout);
}

export function summaryOf(r: CliResult): SummaryLine {
  const summary = jsonLines(r.stdout).find((l) => l.event === 'result');
  if (summary === undefined) throw new Error(`no result line: ${describeRun(r)}`);
  return summary as unknown as SummaryLine;
}

/** Publish's retries, as `warning` events with code `publish.retry`. */
export function retriesOf(stdout: string): EventLine[] {
  return jsonLines(stdout).filter((l) => l.event === 'warning' && l.code === 'publish.retry');
}

/** One blob as a listing with all its HTTP properties reports it. */
export interface BlobFacts {
  size: number;
  md5: string;
  contentType: string;
  cacheControl: string;
}

/** Every blob under `prefix/` of a container, keyed relative to the prefix. */
export async function listBlobs(az: Azurite, container: string, prefix: string): Promise<Map<string, BlobFacts>> {
  const service = new BlobServiceClient(az.endpoint, new StorageSharedKeyCredential(az.accountName, az.accountKey));
  const out = new Map<string, BlobFacts>();
  for await (const b of service.getContainerClient(container).listBlobsFlat({ prefix: `${prefix}/` })) {
    out.set(b.name.slice(prefix.length + 1), {
      size: b.properties.contentLength ?? -1,
      md5: Buffer.from(b.properties.contentMD5 ?? new Uint8Array()).toString('base64'),
      contentType: b.properties.contentType ?? '',
      cacheControl: b.properties.cacheControl ?? '',
    });
  }
  return out;
}

/** Status of an anonymous GET (body drained). */
export async function statusOf(url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return res.status;
}

/** Asserts no text contains any secret (all forms a user could see: raw and URL-encoded). */
export function leakedSecrets(texts: string[], secrets: string[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      if (texts.some((t) => t.includes(form))) found.push(form);
    }
  }
  return found;
}

/**
 * GStreamer `playbin` and `playbin3` play the clean and users sets published under
 * `manifestUrl(prefix)` to EOS, decoding every video frame of the source.
 */
export async function assertGstreamerPlaysPublishedSets(manifestUrl: (prefix: string) => string): Promise<void> {
  const sets: [string, FixtureSet][] = [
    ['clean.ism', fixtureSets.clean],
    ['users.ism', fixtureSets.users],
  ];
  const cases = sets.flatMap(([prefix, set]) => (['playbin', 'playbin3'] as const).map((playbin) => ({ prefix, set, playbin })));
  await mapLimit(cases, 2, async (c) => {
    const [file, index] = c.set.videoLevels[0]!;
    const frames = await countVideoFrames(file, index);
    const r = await playWithGstreamer({ playbin: c.playbin, uri: manifestUrl(c.prefix), timeoutSeconds: 60 });
    const tail = `${c.prefix} with ${c.playbin}\n--- stderr ---\n${r.stderr.slice(-1500)}\n--- stdout (tail) ---\n${r.stdout.slice(-1000)}`;
    assert.equal(r.code, 0, `gst-launch exit code (124 = timed out): ${tail}`);
    assert.ok(r.eos, `reached EOS: ${tail}`);
    assert.equal(r.frames, frames, `decoded video frames: ${tail}`);
  });
}
