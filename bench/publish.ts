// Publish benchmark (issue 4): `smoothpub publish` against `rclone copy` of the same packaged
// folder into the same emulator (Azurite, s3rver) at the same concurrency, then publishing
// over an emulated home uplink (network namespace + veth + tc tbf + a delaying TCP relay)
// at concurrency 1 and at the default. Design targets: ahead of rclone; >= 95% of link rate.
//
//   npm run bench:publish -- [--reps 3] [--concurrency 16] [--uplink-mbit 50] [--rtt-ms 40] [--queue-ms 200]
//                            [--no-uplink | --uplink-only]
//
// Every timed run gets a fresh emulator (fresh data dir, fresh container), so both tools
// upload everything and neither pays for the other's garbage collection. Tools alternate
// order per round; medians are reported, with each tool's and each emulator's CPU seconds:
// on a small machine the client and the emulator share the cores, so CPU per run explains
// most differences. rclone runs with its defaults (it HEADs every object after upload on
// both backends, and on Azure stages a block and commits a block list: 3 requests per
// blob; smoothpub makes 1). The last line is `RESULT {json}`.
//
// The uplink part needs root (namespaces, tc) and iproute2; without them it is skipped and
// says why. The relay delays application data only (the kernel acknowledges at once), so
// it emulates request round trips, not TCP's own RTT. The emulators (nice -5) and the relay
// (nice -10) run at raised priority: they stand in for a remote service and the network;
// the tools measured run at normal priority. A warning is printed when other work kept the
// machine busy during timed runs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential, AccountSASPermissions } from '@azure/storage-blob';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DEFAULT_CONCURRENCY } from '../src/publish/publishPlan.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from '../test/harness/azurite.js';
import { startS3rver, type S3rver } from '../test/harness/s3rver.js';
import { describeLoad, findPid, isBusy, processCpuSeconds, raisePriority, readCpuTime, withCpuTime } from './lib/cpu.js';
import { startRelayProcess, type RelayProcess } from './lib/relayProcess.js';
import { createUplink, qdiscCounters, qdiscStats, removeUplink, sampleLink, uplinkUnavailable, type QdiscCounters, type Uplink } from './lib/uplink.js';
import { CACHE, LEVELS, cleanStaleTemps, ensurePresentation } from './media.js';
import { log, median } from './lib/common.js';

const SMOOTHPUB = resolve('bin/smoothpub.js');
const PACKAGED = join(CACHE, 'packaged', 'video.ism');
const NAMESPACE = 'spbench';
const SUBNET = '10.201.0';
/** The uplink runs publish the two lowest video levels (~64 MB, 600 small fragments): the hard case for latency. */
const UPLINK_LEVELS = LEVELS.slice(-2);

interface Args {
  reps: number;
  concurrency: number;
  uplinkMbit: number;
  rttMs: number;
  /** The uplink's buffer, as queueing delay at the link rate. */
  queueMs: number;
  uplink: boolean;
  /** False with --uplink-only (a quick look at the uplink part). */
  stores: boolean;
}

function parseArgs(): Args {
  const value = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(name);
    const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
    return v;
  };
  return {
    reps: Math.round(value('--reps', 3)),
    concurrency: Math.round(value('--concurrency', 16)),
    uplinkMbit: value('--uplink-mbit', 50),
    rttMs: value('--rtt-ms', 40),
    queueMs: value('--queue-ms', 200),
    uplink: !process.argv.includes('--no-uplink'),
    stores: !process.argv.includes('--uplink-only'),
  };
}

// ---------------------------------------------------------------- child processes

/** Children still running, killed if the bench is interrupted. */
const children = new Set<ChildProcess>();

interface Timed {
  seconds: number;
  /** The command's own user + system CPU seconds (GNU time), when available. */
  cpuSeconds: number | undefined;
  stdout: string;
}

const SCRATCH = mkdtempSync(join(tmpdir(), 'smoothpub-bench-'));
let runCounter = 0;
/** Runs that ended with more runnable work than cores: other work on the machine may have slowed them. */
const busyRuns: string[] = [];

/**
 * Runs a command to completion without blocking the event loop (the relay lives in this
 * process). Its stdout goes to a file, read when it ends: through a pipe every line
 * smoothpub prints with --json (one per object) would wake this process, which on a small
 * busy machine costs the tool being timed a slice of CPU per line; rclone prints nothing.
 */
function timed(command: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  const id = ++runCounter;
  const cpuFile = join(SCRATCH, `cpu-${id}`);
  const outFile = join(SCRATCH, `out-${id}`);
  const cmd = withCpuTime(command, cpuFile);
  const out = openSync(outFile, 'w');
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd[0]!, cmd.slice(1), { env, stdio: ['ignore', out, 'pipe'] });
    closeSync(out);
    children.add(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-8000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      children.delete(child);
      const seconds = (performance.now() - t0) / 1000;
      const stdout = readFileSync(outFile, 'utf8');
      rmSync(outFile, { force: true });
      if (isBusy()) busyRuns.push(`${command.slice(0, 3).map((a) => a.split('/').at(-1)).join(' ')} (${describeLoad()})`);
      if (code !== 0) reject(new Error(`${command.slice(0, 4).join(' ')} ... exited ${code ?? signal}\n${stderr.trim()}\n${stdout.slice(-2000).trim()}`));
      else resolvePromise({ seconds, cpuSeconds: readCpuTime(cpuFile), stdout });
    });
  });
}

interface PublishSummaryLine {
  objects: number;
  uploaded: number;
  bytes: number;
  seconds: number;
  retries: number;
}

function summaryOf(stdout: string): PublishSummaryLine {
  // --json: the `result` event is the last line.
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{"event":"result"'));
  if (line === undefined) throw new Error(`no summary in smoothpub's output: ${stdout.slice(-500)}`);
  return JSON.parse(line) as PublishSummaryLine;
}

// ---------------------------------------------------------------- prerequisites

function missingTools(needUplink: boolean): string[] {
  const missing: string[] = [];
  if (spawnSync('rclone', ['version']).error) missing.push('rclone (apt-get install -y rclone): the peer to compare with');
  if (needUplink && spawnSync('ip', ['-V']).error) missing.push('ip/tc (apt-get install -y iproute2): the emulated uplink');
  return missing;
}

/** The packaged 10-minute presentation, packaged once and reused (package renames into place, so a Manifest means complete). */
async function ensurePackaged(): Promise<{ objects: number; bytes: number }> {
  const p = ensurePresentation(10);
  const manifest = join(PACKAGED, 'Manifest');
  if (!existsSync(manifest) || statSync(manifest).mtimeMs < statSync(p.ism).mtimeMs) {
    rmSync(PACKAGED, { recursive: true, force: true });
    log(`packaging ${p.ism} into ${PACKAGED}`);
    await timed([process.execPath, SMOOTHPUB, 'package', p.ism, '-o', PACKAGED, '--json', '--no-progress']);
  }
  let objects = 0;
  let bytes = 0;
  for (const e of readdirSync(PACKAGED, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    objects++;
    const path = join(e.parentPath, e.name);
    bytes += statSync(path).size;
    readFileSync(path); // warm the page cache so the first timed run does not pay for the disk
  }
  return { objects, bytes };
}

// ---------------------------------------------------------------- the two stores

interface StoreBench {
  name: 'azurite' | 's3rver';
  /** Starts a fresh emulator; returns commands for both tools and a way to count what landed. */
  start(): Promise<{
    smoothpub: (concurrency: number) => { cmd: string[]; env: NodeJS.ProcessEnv };
    rclone: (concurrency: number) => { cmd: string[]; env: NodeJS.ProcessEnv };
    count(which: 'smoothpub' | 'rclone'): Promise<{ objects: number; bytes: number }>;
    /** The emulator's CPU seconds so far. */
    cpuSeconds(): number | undefined;
    stop(): Promise<void>;
  }>;
}

const rcloneFlags = (c: number): string[] => ['--transfers', String(c), '--checkers', String(c), '--config', '/dev/null', '--log-level', 'ERROR'];

const azuriteBench: StoreBench = {
  name: 'azurite',
  async start() {
    const az: Azurite = await startAzurite();
    emulators.add(az);
    favour(`--location ${az.dir}`);
    const service = new BlobServiceClient(az.endpoint, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
    const sasUrl = service.generateAccountSasUrl(new Date(Date.now() + 6 * 3600_000), AccountSASPermissions.parse('rwdlacup'), 'sco');
    return {
      smoothpub: (c) => ({
        cmd: [process.execPath, SMOOTHPUB, 'publish', PACKAGED, 'az://smoothpub/video.ism', '--endpoint', az.endpoint, '--concurrency', String(c), '--json'],
        env: { ...process.env, AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_KEY: AZURITE_KEY },
      }),
      rclone: (c) => ({
        cmd: ['rclone', 'copy', PACKAGED, 'az:rclone/video.ism', ...rcloneFlags(c)],
        env: { ...process.env, RCLONE_CONFIG_AZ_TYPE: 'azureblob', RCLONE_CONFIG_AZ_SAS_URL: sasUrl },
      }),
      async count(which) {
        let objects = 0;
        let bytes = 0;
        for await (const b of service.getContainerClient(which).listBlobsFlat()) {
          objects++;
          bytes += b.properties.contentLength ?? 0;
        }
        return { objects, bytes };
      },
      cpuSeconds: () => processCpuSeconds(`--location ${az.dir}`),
      async stop() {
        await az.stop();
        emulators.delete(az);
      },
    };
  },
};

const s3rverBench: StoreBench = {
  name: 's3rver',
  async start() {
    const s3: S3rver = await startS3rver();
    emulators.add(s3);
    favour(`-d ${s3.dir}`);
    const client = new S3Client({
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    });
    // rclone 1.60 fails on the AWS_CA_BUNDLE this machine exports (docs/architecture.md).
    const envWithoutCaBundle = { ...process.env };
    delete envWithoutCaBundle.AWS_CA_BUNDLE;
    return {
      smoothpub: (c) => ({
        cmd: [process.execPath, SMOOTHPUB, 'publish', PACKAGED, 's3://smoothpub/video.ism', '--endpoint', s3.endpoint, '--concurrency', String(c), '--json'],
        env: { ...process.env, ...s3.env },
      }),
      rclone: (c) => ({
        cmd: ['rclone', 'copy', PACKAGED, 's3b:rclone/video.ism', ...rcloneFlags(c)],
        env: {
          ...envWithoutCaBundle,
          RCLONE_CONFIG_S3B_TYPE: 's3',
          RCLONE_CONFIG_S3B_PROVIDER: 'Other',
          RCLONE_CONFIG_S3B_ENDPOINT: s3.endpoint,
          RCLONE_CONFIG_S3B_FORCE_PATH_STYLE: 'true',
          RCLONE_CONFIG_S3B_REGION: s3.region,
          RCLONE_CONFIG_S3B_ACCESS_KEY_ID: s3.accessKeyId,
          RCLONE_CONFIG_S3B_SECRET_ACCESS_KEY: s3.secretAccessKey,
        },
      }),
      async count(which) {
        let objects = 0;
        let bytes = 0;
        let token: string | undefined;
        do {
          const page = await client.send(new ListObjectsV2Command({ Bucket: which, ...(token !== undefined && { ContinuationToken: token }) }));
          for (const o of page.Contents ?? []) {
            objects++;
            bytes += o.Size ?? 0;
          }
          token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
        return { objects, bytes };
      },
      cpuSeconds: () => processCpuSeconds(`-d ${s3.dir}`),
      async stop() {
        client.destroy();
        await s3.stop();
        emulators.delete(s3);
      },
    };
  },
};

/**
 * Raises an emulator's CPU priority a little (see raisePriority): it stands in for a remote
 * service. Only nice -5, since the emulators are CPU-heavy and the machine may be shared.
 */
function favour(cmdlineNeedle: string): void {
  const pid = findPid(cmdlineNeedle);
  if (pid === undefined || !raisePriority(pid, -5)) log(`could not raise the priority of the emulator (${cmdlineNeedle}); results may be noisier`);
}

/** Emulators still running, stopped if the bench fails or is interrupted. */
const emulators = new Set<Azurite | S3rver>();

interface ToolRun {
  seconds: number;
  cpuSeconds: number | undefined;
  emulatorCpuSeconds: number | undefined;
}

interface StoreResult {
  store: string;
  smoothpub: ToolRun[];
  rclone: ToolRun[];
}

async function benchStore(store: StoreBench, args: Args, expected: { objects: number; bytes: number }, withRclone: boolean): Promise<StoreResult> {
  const result: StoreResult = { store: store.name, smoothpub: [], rclone: [] };
  const tools: ('smoothpub' | 'rclone')[] = withRclone ? ['smoothpub', 'rclone'] : ['smoothpub'];
  for (let round = 1; round <= args.reps; round++) {
    const order = round % 2 === 1 ? tools : [...tools].reverse();
    for (const tool of order) {
      const emulator = await store.start();
      try {
        const { cmd, env } = emulator[tool](args.concurrency);
        spawnSync('sync');
        const emulatorCpu0 = emulator.cpuSeconds();
        const run = await timed(cmd, env);
        const emulatorCpu1 = emulator.cpuSeconds();
        const emulatorCpuSeconds = emulatorCpu0 === undefined || emulatorCpu1 === undefined ? undefined : emulatorCpu1 - emulatorCpu0;
        const landed = await emulator.count(tool);
        if (landed.objects !== expected.objects || landed.bytes !== expected.bytes) {
          throw new Error(`${tool} into ${store.name}: ${landed.objects} objects / ${landed.bytes} bytes landed, expected ${expected.objects} / ${expected.bytes}`);
        }
        const extra = tool === 'smoothpub' ? ` (own clock ${summaryOf(run.stdout).seconds.toFixed(2)} s, ${summaryOf(run.stdout).retries} retries)` : '';
        log(`round ${round}: ${tool} -> ${store.name} ${run.seconds.toFixed(2)} s${extra}, CPU ${cpu(run.cpuSeconds)} s, ${store.name} CPU ${cpu(emulatorCpuSeconds)} s; ${describeLoad()}`);
        result[tool].push({ seconds: run.seconds, cpuSeconds: run.cpuSeconds, emulatorCpuSeconds });
      } finally {
        await emulator.stop();
      }
    }
  }
  return result;
}

function cpu(seconds: number | undefined): string {
  return seconds === undefined ? '?' : seconds.toFixed(1);
}

// ---------------------------------------------------------------- uplink

interface UplinkResult {
  rateMbit: number;
  rttMs: number;
  objects: number;
  bytes: number;
  /** Bulk TCP through the same link and relay: the ceiling for any HTTP client. */
  tcpFraction: number;
  /** Payload over the bytes the rate limiter passed for the bulk TCP stream: what framing (Ethernet, IP, TCP headers) leaves of the link. */
  tcpPayloadShare: number;
  runs: UplinkRun[];
}

interface UplinkRun {
  label: string;
  concurrency: number;
  seconds: number;
  wallSeconds: number;
  bytes: number;
  fraction: number;
  retries: number;
  /** Payload bytes over the bytes the link carried (headers of every layer, requests, retransmissions). */
  payloadShare: number;
  /** Seconds the link needed for what it carried, over the publish's seconds: the rest it sat idle. */
  busyShare: number;
  idleSeconds: number;
  dropped: number;
  connections: number;
  timeline: Timeline;
}

/** Where a run left the link slow, from 20 ms samples of the bytes it sent. */
interface Timeline {
  /** From the first step at a quarter of the link rate or more to the last: the publish's seconds less this were spent at its ends (setup, the last answers, the Manifest). */
  spanSeconds: number;
  /** Seconds below a quarter of the link rate in the span's first second, last second, and in between. */
  slowFirstSecond: number;
  slowMiddle: number;
  slowLastSecond: number;
}

function idleStretches(samples: { t: number; bytes: number }[], rateMbit: number): Timeline {
  // A step is slow below a quarter of the link rate; stray packets (neighbour discovery) are not traffic.
  const steps = samples.slice(1).map((s, i) => ({ t0: samples[i]!.t, t1: s.t, slow: ((s.bytes - samples[i]!.bytes) * 8) / ((s.t - samples[i]!.t) / 1000) < (rateMbit * 1e6) / 4 }));
  const first = steps.findIndex((s) => !s.slow);
  const last = steps.length - 1 - [...steps].reverse().findIndex((s) => !s.slow);
  if (first < 0) return { spanSeconds: 0, slowFirstSecond: 0, slowMiddle: 0, slowLastSecond: 0 };
  const start = steps[first]!.t0;
  const end = steps[last]!.t1;
  const slow = { first: 0, middle: 0, last: 0 };
  for (const s of steps.slice(first, last + 1)) {
    if (!s.slow) continue;
    const ms = s.t1 - s.t0;
    if (s.t0 - start < 1000) slow.first += ms;
    else if (end - s.t1 < 1000) slow.last += ms;
    else slow.middle += ms;
  }
  return { spanSeconds: (end - start) / 1000, slowFirstSecond: slow.first / 1000, slowMiddle: slow.middle / 1000, slowLastSecond: slow.last / 1000 };
}

/** What the link did between two qdisc readings, against a run's payload and seconds. */
function linkUse(before: QdiscCounters, after: QdiscCounters, payload: number, seconds: number, rateMbit: number): { payloadShare: number; busyShare: number; idleSeconds: number; dropped: number } {
  const wire = after.bytes - before.bytes;
  const busySeconds = (wire * 8) / (rateMbit * 1e6);
  return { payloadShare: payload / wire, busyShare: busySeconds / seconds, idleSeconds: seconds - busySeconds, dropped: after.dropped - before.dropped };
}

/** Bytes through one TCP connection from inside the namespace to a sink behind the relay: the link's real goodput. */
async function measureTcpCeiling(uplink: Uplink, args: Args, bytes: number): Promise<{ fraction: number; payloadShare: number }> {
  let received = 0;
  const sink: Server = createServer((s) => {
    s.on('data', (d: Buffer) => (received += d.length));
    s.on('end', () => s.end('done'));
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const sinkPort = (sink.address() as { port: number }).port;
  const relay = await startRelayProcess({ listenHost: uplink.hostAddress, targetHost: '127.0.0.1', targetPort: sinkPort, oneWayMs: args.rttMs / 2 });
  try {
    const client = `
      const s = require('net').connect(${relay.port}, '${uplink.hostAddress}', () => {
        const t0 = performance.now(); const chunk = Buffer.alloc(65536); let left = ${bytes};
        const pump = () => { while (left > 0) { left -= chunk.length; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
        s.on('data', () => {}); s.on('end', () => { console.log((performance.now() - t0) / 1000); });
        pump();
      });`;
    const q0 = qdiscCounters(uplink);
    const run = await timed(uplink.exec([process.execPath, '-e', client]));
    const seconds = Number(run.stdout.trim());
    if (received < bytes) throw new Error(`the sink got ${received} of ${bytes} bytes`);
    return { fraction: (bytes * 8) / seconds / (args.uplinkMbit * 1e6), payloadShare: linkUse(q0, qdiscCounters(uplink), bytes, seconds, args.uplinkMbit).payloadShare };
  } finally {
    await relay.close();
    sink.close();
  }
}

async function benchUplink(args: Args): Promise<UplinkResult> {
  const sources = ensurePresentation(10).files.filter((f) => UPLINK_LEVELS.some((l) => f.endsWith(`video_${l.bitrate / 1000}k.ismv`)));
  let uplink: Uplink | undefined;
  let az: Azurite | undefined;
  let relay: RelayProcess | undefined;
  try {
    uplink = createUplink({ namespace: NAMESPACE, rateMbit: args.uplinkMbit, queueMs: args.queueMs, subnet: SUBNET });
    activeUplink = NAMESPACE;
    log(`uplink: namespace ${NAMESPACE}, veth ${uplink.hostAddress} (host) <-> ${uplink.nsAddress} (namespace), tbf ${args.uplinkMbit} Mbit/s with a ${args.queueMs} ms queue on the namespace's egress, relay adds ${args.rttMs} ms RTT`);
    const { fraction: tcpFraction, payloadShare: tcpPayloadShare } = await measureTcpCeiling(uplink, args, 24 * 1024 * 1024);
    log(
      `bulk TCP through the link: ${(tcpFraction * args.uplinkMbit).toFixed(1)} Mbit/s = ${(tcpFraction * 100).toFixed(1)}% of ${args.uplinkMbit} Mbit/s; ` +
        `payload is ${(tcpPayloadShare * 100).toFixed(1)}% of the bytes the link carried (Ethernet, IP and TCP headers)`,
    );
    az = await startAzurite();
    emulators.add(az);
    favour(`--location ${az.dir}`);
    relay = await startRelayProcess({ listenHost: uplink.hostAddress, targetHost: '127.0.0.1', targetPort: az.port, oneWayMs: args.rttMs / 2 });
    const endpoint = `http://${uplink.hostAddress}:${relay.port}/${AZURITE_ACCOUNT}`;
    const env = { ...process.env, AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_KEY: AZURITE_KEY };
    const runs: UplinkResult['runs'] = [];
    let objects = 0;
    for (const [label, concurrency] of [
      ['concurrency 1', 1],
      [`default (${DEFAULT_CONCURRENCY})`, undefined],
    ] as const) {
      const container = concurrency === undefined ? 'uplink-default' : `uplink-c${concurrency}`;
      const cmd = [process.execPath, SMOOTHPUB, 'publish', ...sources, `az://${container}/video.ism`, '--endpoint', endpoint, '--json', ...(concurrency === undefined ? [] : ['--concurrency', String(concurrency)])];
      const before = await relay.connections();
      const q0 = qdiscCounters(uplink);
      const sampler = sampleLink(uplink);
      const run = await timed(uplink.exec(cmd), env);
      const timeline = idleStretches(sampler.stop(), args.uplinkMbit);
      const q1 = qdiscCounters(uplink);
      const s = summaryOf(run.stdout);
      objects = s.objects;
      // The publish's own clock (listing, every upload, the Manifest) excludes node's start-up and indexing, which use no link.
      const fraction = (s.bytes * 8) / s.seconds / (args.uplinkMbit * 1e6);
      const use = linkUse(q0, q1, s.bytes, s.seconds, args.uplinkMbit);
      const connections = (await relay.connections()) - before;
      runs.push({ label, concurrency: concurrency ?? DEFAULT_CONCURRENCY, seconds: s.seconds, wallSeconds: run.seconds, bytes: s.bytes, fraction, retries: s.retries, ...use, connections, timeline });
      log(
        `uplink ${label}: ${s.uploaded} objects, ${(s.bytes / 1e6).toFixed(1)} MB in ${s.seconds.toFixed(2)} s (wall ${run.seconds.toFixed(2)} s), ` +
          `${((s.bytes * 8) / s.seconds / 1e6).toFixed(1)} Mbit/s = ${(fraction * 100).toFixed(1)}% of link ` +
          `(payload ${(use.payloadShare * 100).toFixed(1)}% of what the link carried, link busy ${(use.busyShare * 100).toFixed(1)}% of the time, idle ${use.idleSeconds.toFixed(2)} s, ${use.dropped} packets dropped), ` +
          `${connections} connections, ${s.retries} retries, CPU ${cpu(run.cpuSeconds)} s; ${describeLoad()}`,
      );
      log(
        `  link timeline (20 ms samples): traffic for ${timeline.spanSeconds.toFixed(2)} s of the publish's ${s.seconds.toFixed(2)} s; under a quarter of the rate for ${timeline.slowFirstSecond.toFixed(2)} s of its first second, ` +
          `${timeline.slowMiddle.toFixed(2)} s in between, ${timeline.slowLastSecond.toFixed(2)} s of its last second`,
      );
    }
    log(`qdisc: ${qdiscStats(uplink).replace(/\s+/g, ' ')}`);
    return { rateMbit: args.uplinkMbit, rttMs: args.rttMs, objects, bytes: runs[0]!.bytes, tcpFraction, tcpPayloadShare, runs };
  } finally {
    await relay?.close();
    uplink?.remove();
    activeUplink = undefined;
    if (az) {
      await az.stop();
      emulators.delete(az);
    }
  }
}

// ---------------------------------------------------------------- clean-up on any exit

let activeUplink: string | undefined;

function emergencyCleanup(): void {
  rmSync(SCRATCH, { recursive: true, force: true });
  for (const c of children) c.kill('SIGKILL');
  if (activeUplink !== undefined) removeUplink(activeUplink);
  // The harness SIGKILLs its emulators on exit; their data dirs are ours to remove.
  for (const e of emulators) {
    e.stop().catch(() => undefined);
    rmSync(e.dir, { recursive: true, force: true });
  }
}

process.on('exit', emergencyCleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    process.exit(130);
  });
}

// ---------------------------------------------------------------- report

function med(xs: number[] | undefined): number | undefined {
  return xs === undefined || xs.length === 0 ? undefined : median(xs);
}

function secondsOf(runs: ToolRun[] | undefined): number[] {
  return (runs ?? []).map((r) => r.seconds);
}

function round3(x: number | undefined): number | null {
  return x === undefined || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000;
}

/** smoothpub's time over rclone's, round by round (each round runs both, in alternating order). */
function roundRatios(s: StoreResult | undefined): number[] {
  if (s === undefined) return [];
  return s.smoothpub.flatMap((run, i) => (s.rclone[i] === undefined ? [] : [run.seconds / s.rclone[i]!.seconds]));
}

function describeUplinkRun(r: UplinkRun): Record<string, number | null> {
  return {
    fraction: round3(r.fraction),
    payload_share: round3(r.payloadShare),
    busy_share: round3(r.busyShare),
    idle_s: round3(r.idleSeconds),
    dropped: r.dropped,
    connections: r.connections,
    seconds: round3(r.seconds),
    traffic_span_s: round3(r.timeline.spanSeconds),
    slow_first_s: round3(r.timeline.slowFirstSecond),
    slow_middle_s: round3(r.timeline.slowMiddle),
    slow_last_s: round3(r.timeline.slowLastSecond),
  };
}

/** The 1-minute load average every 2 s while the bench runs: what else the machine was doing. */
const loadSamples: number[] = [];
setInterval(() => loadSamples.push(loadavg()[0]!), 2000).unref();

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((v, c) => v.padEnd(widths[c]!)).join('  '));
}

async function main(): Promise<void> {
  // The AWS SDK warns on node 20 at its first client; the bench's own listing client need not.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const args = parseArgs();
  const missing = missingTools(args.uplink);
  for (const m of missing) log(`MISSING: ${m}`);
  const withRclone = !missing.some((m) => m.startsWith('rclone'));
  cleanStaleTemps();
  const folder = await ensurePackaged();
  log(`packaged presentation: ${PACKAGED}, ${folder.objects} objects, ${(folder.bytes / 1e6).toFixed(0)} MB; ${args.reps} rounds per store at concurrency ${args.concurrency}, a fresh emulator per run`);

  const stores: StoreResult[] = [];
  for (const store of args.stores ? [azuriteBench, s3rverBench] : []) stores.push(await benchStore(store, args, folder, withRclone));

  let uplink: UplinkResult | undefined;
  let uplinkSkipped: string | undefined;
  if (!args.uplink) uplinkSkipped = '--no-uplink';
  else uplinkSkipped = uplinkUnavailable();
  if (uplinkSkipped === undefined) uplink = await benchUplink(args);
  else log(`SKIPPED the uplink part: ${uplinkSkipped}`);

  console.log(`\npublish ${folder.objects} objects, ${(folder.bytes / 1e6).toFixed(0)} MB (10-minute presentation, 7 video levels + audio), concurrency ${args.concurrency}, median of ${args.reps}`);
  const rows = [['store', 'tool', 'median s', 'runs s', 'objects/s', 'MB/s', 'x rclone', 'tool CPU s', 'emulator CPU s']];
  for (const s of stores) {
    const rc = med(secondsOf(s.rclone));
    for (const tool of ['smoothpub', 'rclone'] as const) {
      const m = med(secondsOf(s[tool]));
      if (m === undefined) continue;
      const cpuMedian = (pick: (r: ToolRun) => number | undefined): string => cpu(med(s[tool].map(pick).filter((x): x is number => x !== undefined)));
      rows.push([
        s.store,
        tool,
        m.toFixed(2),
        secondsOf(s[tool]).map((x) => x.toFixed(2)).join(' '),
        (folder.objects / m).toFixed(0),
        (folder.bytes / 1e6 / m).toFixed(1),
        rc === undefined ? '-' : (m / rc).toFixed(2),
        cpuMedian((r) => r.cpuSeconds),
        cpuMedian((r) => r.emulatorCpuSeconds),
      ]);
    }
  }
  table(rows);
  console.log('(x rclone < 1: smoothpub is faster. rclone on Azure makes 3 requests per blob (Put Block, Put Block List, HEAD) and on S3 2 (PUT, HEAD); smoothpub makes 1.)');
  if (uplink) {
    console.log(`\nemulated uplink: ${uplink.rateMbit} Mbit/s (tc tbf), ${uplink.rttMs} ms RTT (relay), Azurite; ${uplink.objects} objects, ${(uplink.bytes / 1e6).toFixed(1)} MB (levels ${UPLINK_LEVELS.map((l) => l.bitrate).join(', ')} from sources)`);
    table([
      ['run', 'publish s', 'wall s', 'Mbit/s', 'of link', 'payload share', 'link busy', 'idle s', 'dropped', 'connections', 'retries'],
      ...uplink.runs.map((r) => [
        r.label,
        r.seconds.toFixed(2),
        r.wallSeconds.toFixed(2),
        ((r.bytes * 8) / r.seconds / 1e6).toFixed(1),
        `${(r.fraction * 100).toFixed(1)}%`,
        `${(r.payloadShare * 100).toFixed(1)}%`,
        `${(r.busyShare * 100).toFixed(1)}%`,
        r.idleSeconds.toFixed(2),
        String(r.dropped),
        String(r.connections),
        String(r.retries),
      ]),
      ['bulk TCP (ceiling)', '', '', (uplink.tcpFraction * uplink.rateMbit).toFixed(1), `${(uplink.tcpFraction * 100).toFixed(1)}%`, `${(uplink.tcpPayloadShare * 100).toFixed(1)}%`, '', '', '', '1', ''],
    ]);
    const def = uplink.runs[1];
    if (def) console.log(`default concurrency reached ${((def.fraction / uplink.tcpFraction) * 100).toFixed(1)}% of what one bulk TCP stream got through the same link (goal: 95% of the link rate itself)`);
    console.log(
      "(of link = payload bytes / publish time / link rate = payload share x link busy; publish time is smoothpub's own clock, without node start-up and indexing;\n" +
        ' payload share = payload / bytes the rate limiter passed, whose ceiling is what framing leaves a bulk TCP stream: 1448 payload bytes per 1514-byte frame with timestamps)',
    );
  } else {
    console.log(`\nemulated uplink: skipped (${uplinkSkipped})`);
  }

  if (busyRuns.length > 0) {
    console.log(`\nWARNING: the machine was busy with other work during ${busyRuns.length} timed runs (load average above the core count), e.g. ${busyRuns[0]}; times are noisy, compare ratios, not absolutes.`);
  }
  const az = stores.find((s) => s.store === 'azurite');
  const s3 = stores.find((s) => s.store === 's3rver');
  const ratio = (s: StoreResult | undefined): number | undefined => {
    const sp = med(secondsOf(s?.smoothpub));
    const rc = med(secondsOf(s?.rclone));
    return sp === undefined || rc === undefined ? undefined : sp / rc;
  };
  const load = loadSamples.length === 0 ? [loadavg()[0]!] : loadSamples;
  const result = {
    azurite_ratio_rounds: roundRatios(az).map((r) => round3(r)),
    s3_ratio_rounds: roundRatios(s3).map((r) => round3(r)),
    load_average: { min: round3(Math.min(...load)), median: round3(median(load)), max: round3(Math.max(...load)), cores: cpus().length },
    uplink_default: uplink?.runs[1] === undefined ? null : describeUplinkRun(uplink.runs[1]),
    uplink_c1: uplink?.runs[0] === undefined ? null : describeUplinkRun(uplink.runs[0]),
    tcp_payload_share: round3(uplink?.tcpPayloadShare),
    azurite_smoothpub_s: round3(med(secondsOf(az?.smoothpub))),
    azurite_rclone_s: round3(med(secondsOf(az?.rclone))),
    azurite_ratio: round3(ratio(az)),
    s3_smoothpub_s: round3(med(secondsOf(s3?.smoothpub))),
    s3_rclone_s: round3(med(secondsOf(s3?.rclone))),
    s3_ratio: round3(ratio(s3)),
    concurrency: args.concurrency,
    uplink_mbit: uplink?.rateMbit ?? null,
    rtt_ms: uplink?.rttMs ?? null,
    fraction_of_link_c1: round3(uplink?.runs[0]?.fraction),
    fraction_of_link_default: round3(uplink?.runs[1]?.fraction),
    default_concurrency: DEFAULT_CONCURRENCY,
    tcp_ceiling_fraction: round3(uplink?.tcpFraction),
    fraction_of_tcp_ceiling_default: round3(uplink?.runs[1] === undefined ? undefined : uplink.runs[1].fraction / uplink.tcpFraction),
    uplink_objects: uplink?.objects ?? null,
    uplink_bytes: uplink?.bytes ?? null,
    objects: folder.objects,
    bytes: folder.bytes,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

try {
  await main();
} catch (e) {
  log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
}
