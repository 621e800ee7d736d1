import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const SMOOTHPUB = resolve('bin/smoothpub.js');

/** The `smoothpub package` command to time (JSON result on stdout); `out` must not exist (the caller removes it, untimed). */
export function smoothpubPackageCommand(inputs: string[], out: string): string[] {
  mkdirSync(dirname(out), { recursive: true });
  return [process.execPath, SMOOTHPUB, 'package', ...inputs, '-o', out, '--json', '--no-progress'];
}
