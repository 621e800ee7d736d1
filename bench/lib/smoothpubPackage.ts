import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

const SMOOTHPUB = resolve('bin/smoothpub.js');

/** The `smoothpub package` command to time (JSON result on stdout), `out` removed first. */
export function smoothpubPackageCommand(inputs: string[], out: string): string[] {
  rmSync(out, { recursive: true, force: true });
  return [process.execPath, SMOOTHPUB, 'package', ...inputs, '-o', out, '--json', '--no-progress'];
}
