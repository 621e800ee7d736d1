// The delaying relay in a process of its own, so it can run at a higher CPU priority than
// the publisher it serves (on a small, busy machine a starved relay would add delay of its
// own). `node relayProcess.js <listenHost> <targetHost> <targetPort> <oneWayMs>` prints the
// port, then relays until killed; startRelayProcess wraps that.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { raisePriority } from './cpu.js';
import { startDelayRelay, type DelayRelayOptions } from './delayRelay.js';

export interface RelayProcess {
  port: number;
  pid: number;
  /** Connections the relay accepted so far. */
  connections(): Promise<number>;
  close(): Promise<void>;
}

export async function startRelayProcess(opts: DelayRelayOptions): Promise<RelayProcess> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), opts.listenHost, opts.targetHost, String(opts.targetPort), String(opts.oneWayMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    buffer += s;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const nextLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const queued = lines.shift();
      if (queued !== undefined) return resolve(queued);
      waiters.push(resolve);
      void exited.then(() => reject(new Error('the relay process exited')));
    });
  const port = Number(await nextLine());
  if (!Number.isInteger(port) || port <= 0) throw new Error('the relay process did not report a port');
  raisePriority(child.pid!);
  return {
    port,
    pid: child.pid!,
    connections: async () => {
      child.stdin.write('count\n');
      return Number(await nextLine());
    },
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [listenHost, targetHost, targetPort, oneWayMs] = process.argv.slice(2);
  const relay = await startDelayRelay({ listenHost: listenHost!, targetHost: targetHost!, targetPort: Number(targetPort), oneWayMs: Number(oneWayMs) });
  process.stdout.write(`${relay.port}\n`);
  // One request: "count" -> connections accepted so far. The parent going away ends the relay.
  process.stdin.setEncoding('utf8').on('data', () => process.stdout.write(`${relay.connections()}\n`));
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}
