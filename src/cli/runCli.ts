import { Command, CommanderError } from 'commander';
import { Interrupt, interruptedExitCode } from './interrupt.js';
import { ExitCode, reportError, reportInterrupted } from './output.js';
import { printUsageError } from './events.js';
import { VERSION } from '../version.js';

/** Adds commands to the program; `interrupt` stops them (its signal for most, itself for serve, play and ingest). */
export type RegisterCommands = (program: Command, interrupt: Interrupt) => void;

/**
 * Runs the CLI with the commands `register` adds; returns the exit code. main.ts adds every
 * command; packageMain.ts only `package`, for the one-file bundle bin/smoothpub.js runs for it.
 */
export async function runCli(argv: string[], register: RegisterCommands): Promise<number> {
  // smoothpub supports node 20; the AWS SDK's notice about it is noise on every run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const interrupt = new Interrupt().listen();
  // With --json, stdout carries only JSON lines: commander's usage errors become an `error` line too.
  const json = argv.includes('--json');
  const program = new Command('smoothpub')
    .description('Smooth Streaming on plain object storage and CDNs: index ISMV/ISMA or plain MP4, write the Manifest, package, remux, publish, verify, serve, encode')
    .version(VERSION)
    .showHelpAfterError(json ? false : '(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => (json ? undefined : write(text)) })
    .exitOverride();
  register(program, interrupt);
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
