import { spawn } from 'node:child_process';

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
