import { Command, CommanderError } from 'commander';
import { registerInspect } from './commands/inspect.js';
import { registerPackage } from './commands/package.js';
import { registerPlay } from './commands/play.js';
import { registerPublish } from './commands/publish.js';
import { registerVerify } from './commands/verify.js';
import { registerServe } from './commands/serve.js';
import { registerIndex } from './commands/indexCommand.js';
import { registerEncode } from './commands/encode.js';
import { registerRemux } from './commands/remux.js';
import { registerIngest } from './commands/ingest.js';
import { Interrupt, interruptedExitCode } from './interrupt.js';
import { ExitCode, reportError, reportInterrupted } from './output.js';
import { printUsageError } from './events.js';
import { VERSION } from '../version.js';

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // smoothpub supports node 20; the AWS SDK's notice about it is noise on every run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const interrupt = new Interrupt().listen();
  const { signal } = interrupt;
  // With --json, stdout carries only JSON lines: commander's usage errors become an `error` line too.
  const json = argv.includes('--json');
  const program = new Command('smoothpub')
    .description('Smooth Streaming on plain object storage and CDNs: index ISMV/ISMA or plain MP4, write the Manifest, package, remux, publish, verify, serve, encode')
    .version(VERSION)
    .showHelpAfterError(json ? false : '(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => (json ? undefined : write(text)) })
    .exitOverride();
  registerInspect(program, signal);
  registerPackage(program, signal);
  registerRemux(program, signal);
  registerPublish(program, signal);
  registerVerify(program, signal);
  registerServe(program, interrupt);
  registerIndex(program, signal);
  registerPlay(program, interrupt);
  registerEncode(program, signal);
  registerIngest(program, interrupt);
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 failed, 2 usage error, 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM);\n' +
      'serve, play and ingest stop on SIGTERM with 0. A second signal, or a stop taking more than a few\n' +
      'seconds, ends the process at once; nothing half written is left behind.\n' +
      "Run `smoothpub <command> --help` for a command's options.\n",
  );
  try {
    await program.parseAsync(argv);
    return interrupt.exitCode() ?? (typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return ExitCode.OK;
      if (json) printUsageError(e.message);
      return ExitCode.USAGE;
    }
    // Stopped by a signal: whatever the abort surfaced as (a cancelled request, a killed
    // ffmpeg), the run was interrupted, and says so.
    const stopped = interrupt.received;
    if (stopped !== undefined) {
      reportInterrupted(`interrupted by ${stopped}`, json);
      return interrupt.exitCode() ?? interruptedExitCode(stopped);
    }
    return reportError(e, json);
  } finally {
    interrupt.dispose();
  }
}
