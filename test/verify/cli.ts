// A stand-in for bin/smoothpub.js with `verify` registered, until src/cli/main.ts registers it.
// Usage: node dist/test/verify/cli.js verify <manifest-url> [options]
import { Command, CommanderError } from 'commander';
import { registerVerify } from '../../src/cli/commands/verify.js';
import { ExitCode, reportError } from '../../src/cli/output.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const argv = process.argv;
const program = new Command('smoothpub').exitOverride();
registerVerify(program, controller.signal);
try {
  await program.parseAsync(argv);
  process.exitCode = controller.signal.aborted ? ExitCode.INTERRUPTED : typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK;
} catch (e) {
  process.exitCode = e instanceof CommanderError ? (e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE) : reportError(e, argv.includes('--json'));
}
