// An emulated home uplink: a network namespace joined to the host by a veth pair, with
// addresses only on that pair (no route outward), and the namespace's egress rate-limited
// by `tc tbf`. Latency comes from a user-space relay on the host end (see delayRelay.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Uplink {
  namespace: string;
  /** Address of the host end, reachable from inside the namespace. */
  hostAddress: string;
  /** Address of the namespace end. */
  nsAddress: string;
  rateMbit: number;
  queueMs: number;
  /** The host end of the veth pair: its received bytes are what the namespace sent through the rate limiter. */
  hostDevice: string;
  /** `ip netns exec <ns>` prefix for a command run inside the namespace. */
  exec(cmd: string[]): string[];
  remove(): void;
}

export interface UplinkOptions {
  namespace: string;
  rateMbit: number;
  /**
   * How long a packet may wait in the rate limiter's queue before it is dropped (tbf
   * `latency`): the modem's buffer. Home modems buffer 100s of ms; too small a queue drops
   * the first window of every new connection, and a new connection's first RTO is 1 s.
   */
  queueMs: number;
  /** A /30 of private addresses used only on the veth pair, e.g. `10.201.0`: .1 host, .2 namespace. */
  subnet: string;
}

function run(args: string[], allowFailure = false): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0 && !allowFailure) throw new Error(`${args.join(' ')} failed (${r.status ?? r.error?.message}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Why namespaces cannot be used here, or undefined when they can (tries one and removes it). */
export function uplinkUnavailable(): string | undefined {
  for (const tool of ['ip', 'tc']) {
    if (spawnSync(tool, ['-V'], { encoding: 'utf8' }).error) return `\`${tool}\` not found (apt-get install iproute2)`;
  }
  if (process.getuid?.() !== 0) return 'not root: network namespaces and tc need root (CAP_NET_ADMIN)';
  const probe = `spprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `network namespaces are not permitted here: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/** Names of veth ends, short enough for IFNAMSIZ. */
function vethNames(ns: string): { host: string; inner: string } {
  return { host: `${ns.slice(0, 10)}-h`, inner: `${ns.slice(0, 10)}-n` };
}

/** Removes the namespace and veth pair, if present (deleting either end deletes both). */
export function removeUplink(namespace: string): void {
  const { host } = vethNames(namespace);
  run(['ip', 'link', 'del', host], true);
  run(['ip', 'netns', 'del', namespace], true);
}

export function createUplink(opts: UplinkOptions): Uplink {
  const ns = opts.namespace;
  const { host, inner } = vethNames(ns);
  const hostAddress = `${opts.subnet}.1`;
  const nsAddress = `${opts.subnet}.2`;
  removeUplink(ns); // left over by a killed run
  const inNs = (cmd: string[]): string[] => ['ip', 'netns', 'exec', ns, ...cmd];
  try {
    run(['ip', 'netns', 'add', ns]);
    run(['ip', 'link', 'add', host, 'type', 'veth', 'peer', 'name', inner]);
    run(['ip', 'link', 'set', inner, 'netns', ns]);
    run(['ip', 'addr', 'add', `${hostAddress}/30`, 'dev', host]);
    run(['ip', 'link', 'set', host, 'up']);
    run(inNs(['ip', 'addr', 'add', `${nsAddress}/30`, 'dev', inner]));
    run(inNs(['ip', 'link', 'set', inner, 'up']));
    run(inNs(['ip', 'link', 'set', 'lo', 'up']));
    // Uplink = the namespace's egress. burst must cover rate/HZ.
    run(inNs(['tc', 'qdisc', 'add', 'dev', inner, 'root', 'tbf', 'rate', `${opts.rateMbit}mbit`, 'burst', '64kb', 'latency', `${opts.queueMs}ms`]));
    waitUntilReachable(inNs, hostAddress);
  } catch (e) {
    removeUplink(ns);
    throw e;
  }
  return { namespace: ns, hostAddress, nsAddress, hostDevice: host, rateMbit: opts.rateMbit, queueMs: opts.queueMs, exec: inNs, remove: () => removeUplink(ns) };
}

/** Waits for the veth pair to carry traffic (link up, neighbour resolution). */
function waitUntilReachable(inNs: (cmd: string[]) => string[], address: string): void {
  if (spawnSync('ping', ['-V']).error) return; // no ping: trust `ip link set up`
  const ping = inNs(['ping', '-c', '1', '-W', '1', address]);
  for (let i = 0; i < 50; i++) {
    if (spawnSync(ping[0]!, ping.slice(1)).status === 0) return;
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`${address} is not reachable from the namespace`);
}

/** The qdisc's own counters (bytes sent, drops, overlimits), for the report. */
export function qdiscStats(uplink: Uplink): string {
  const { inner } = vethNames(uplink.namespace);
  return run(uplink.exec(['tc', '-s', 'qdisc', 'show', 'dev', inner]), true).trim();
}

export interface QdiscCounters {
  /** Bytes the rate limiter let through (whole frames: Ethernet, IP and TCP headers included). */
  bytes: number;
  packets: number;
  /** Packets dropped because its queue was full: each one is sent again by TCP. */
  dropped: number;
}

/** The rate limiter's counters now; differences between two readings describe one run. */
export function qdiscCounters(uplink: Uplink): QdiscCounters {
  const m = /Sent (\d+) bytes (\d+) pkt \(dropped (\d+)/.exec(qdiscStats(uplink));
  if (!m) throw new Error(`cannot read the qdisc counters: ${qdiscStats(uplink)}`);
  return { bytes: Number(m[1]), packets: Number(m[2]), dropped: Number(m[3]) };
}

/**
 * Samples the bytes the namespace sent every `everyMs` (from the host end's counters, no
 * process spawned), so a run's idle stretches can be placed: before the first byte, between
 * bytes, after the last one.
 */
export function sampleLink(uplink: Uplink, everyMs = 20): { stop(): { t: number; bytes: number }[] } {
  const counter = `/sys/class/net/${uplink.hostDevice}/statistics/rx_bytes`;
  const samples: { t: number; bytes: number }[] = [];
  const take = (): void => {
    samples.push({ t: performance.now(), bytes: Number(readFileSync(counter, 'utf8')) });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}
