import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { EventLine } from './jsonEvents.js';

/** What a finished CLI run printed, and how long it took. */
export interface BinRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the real bin asynchronously (a server the test runs in this process can answer it); killed after 90 s. */
export function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BinRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/smoothpub.js', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Runs a listening command (`serve`, `play`) with `--json` until `use` is done with its `listening` event, then stops it with SIGINT. */
export async function whileListening(args: string[], use: (listening: EventLine) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, ['bin/smoothpub.js', ...args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const closed = new Promise((resolve) => child.on('close', resolve));
  try {
    const listening = await new Promise<EventLine>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const e = JSON.parse(line) as EventLine;
        if (e.event === 'listening') resolve(e);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    await use(listening);
  } finally {
    child.kill('SIGINT');
    await closed;
  }
}
