import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const SMOOTHPUB = resolve('bin/smoothpub.js');

/**
 * The `smoothpub package` command to time (JSON result on stdout), with `options` such as
 * `--formats`; `out` must not exist (the caller removes it, untimed).
 */
export function smoothpubPackageCommand(inputs: string[], out: string, options: string[] = []): string[] {
  mkdirSync(dirname(out), { recursive: true });
  return [process.execPath, SMOOTHPUB, 'package', ...inputs, '-o', out, '--json', '--no-progress', ...options];
}
