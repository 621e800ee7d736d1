import { registerPackage } from './commands/package.js';
import { runCli } from './runCli.js';

/**
 * The CLI with the `package` command alone. scripts/bundle-cli.js bundles it into one file
 * (the whole CLI's bundle is some 20 files on this path: esbuild splits it at every
 * `import()`), which bin/smoothpub.js runs for `smoothpub package ...`; the command, its
 * options, help and errors are the ones main.ts registers.
 */
export async function main(argv: string[]): Promise<number> {
  return runCli(argv, (program, interrupt) => registerPackage(program, interrupt.signal));
}
