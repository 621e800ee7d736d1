#!/usr/bin/env node
import { statSync } from 'node:fs';

// The bundled CLI (scripts/bundle-cli.js: a few files, not some 250 modules to load) when it
// was built from the current dist/src; dist/src itself when it is missing or older (tsc ran
// since: it rewrites every file), so a stale bundle never runs.
// `smoothpub package` runs a bundle of that command alone, one file (scripts/bundle-cli.js).
function entry() {
  const alone = process.argv[2] === 'package' ? 'packageMain' : undefined;
  const bundled = new URL(`../dist/src/bundle/${alone ?? 'main'}.js`, import.meta.url);
  const compiled = new URL(`../dist/src/cli/${alone ?? 'main'}.js`, import.meta.url);
  try {
    if (statSync(bundled).mtimeMs >= statSync(compiled).mtimeMs) return bundled.href;
  } catch {
    // No bundle (esbuild not installed when it was built): the compiled modules.
  }
  return compiled.href;
}

const { main } = await import(entry());

// A reader that stops early (`smoothpub inspect x | head`) closes the pipe: stop quietly, as
// other command-line tools do, instead of crashing on EPIPE.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv);
