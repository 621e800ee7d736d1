import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';

let loaded: typeof CliProgress | undefined;

/**
 * cli-progress, loaded the first time a bar is drawn: most runs draw none (`--json`,
 * `--no-progress`, stderr not a terminal), and every run would otherwise pay for loading
 * it at start-up.
 */
export function cliProgress(): typeof CliProgress {
  return (loaded ??= createRequire(import.meta.url)('cli-progress') as typeof CliProgress);
}
