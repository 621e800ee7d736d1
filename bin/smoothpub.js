#!/usr/bin/env node
import { main } from '../dist/src/cli/main.js';

// A reader that stops early (`smoothpub inspect x | head`) closes the pipe: stop quietly, as
// other command-line tools do, instead of crashing on EPIPE.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv);
