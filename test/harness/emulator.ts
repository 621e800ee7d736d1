import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './waitUntil.js';

/**
 * Makes the child exit when its parent dies, even by SIGKILL: a reparented process
 * sees its ppid change. Loaded with `--import` so the emulators need no wrapper file.
 */
const WATCHDOG = 'data:text/javascript,' + encodeURIComponent('const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.exit(0)},500).unref();');

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every emulator still running when the test process exits (normally or by an uncaught error). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Emulator {
  port: number;
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a node script (an emulator's bin) on a free port in a fresh temp dir and waits
 * until `probe` gets an HTTP answer. Retries on another port when the child exits early
 * (the port was taken between picking and binding).
 */
export async function startEmulator(
  name: string,
  script: string,
  args: (dir: string, port: number) => string[],
  probePath: string,
  nodeArgs: string[] = [],
): Promise<Emulator> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), `smoothpub-${name}-`));
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeArgs, '--import', WATCHDOG, script, ...args(dir, port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    running.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntilAnswering(`http://127.0.0.1:${port}${probePath}`, exited, 60_000);
    } catch (e) {
      child.kill('SIGKILL');
      running.delete(child);
      lastError = new Error(`${name} did not start on port ${port}: ${(e as Error).message}; stderr: ${stderr}`);
      continue;
    }
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
      await rm(dir, { recursive: true, force: true });
    };
    return { port, dir, child, stop };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error(`${name} did not start`);
}

async function waitUntilAnswering(url: string, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  await waitUntil(
    `an HTTP answer from ${url}`,
    async () => {
      if (gone) throw new Error('exited before answering');
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs, intervalMs: 100 },
  );
}
