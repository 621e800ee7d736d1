import { setMaxListeners } from 'node:events';
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
import { ExitCode, reportError } from './output.js';
import { printUsageError } from './events.js';
import { VERSION } from '../version.js';

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // smoothpub supports node 20; the AWS SDK's notice about it is noise on every run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const controller = new AbortController();
  // Every request in flight (publish, verify: up to --concurrency) listens for Ctrl-C.
  setMaxListeners(10_000, controller.signal);
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  // With --json, stdout carries only JSON lines: commander's usage errors become an `error` line too.
  const json = argv.includes('--json');
  const program = new Command('smoothpub')
    .description('Smooth Streaming on plain object storage and CDNs: index ISMV/ISMA or plain MP4, write the Manifest, package, remux, publish, verify, serve, encode')
    .version(VERSION)
    .showHelpAfterError(json ? false : '(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => (json ? undefined : write(text)) })
    .exitOverride();
  registerInspect(program);
  registerPackage(program, controller.signal);
  registerRemux(program, controller.signal);
  registerPublish(program, controller.signal);
  registerVerify(program, controller.signal);
  registerServe(program, controller.signal);
  registerIndex(program);
  registerPlay(program, controller.signal);
  registerEncode(program, controller.signal);
  program.addHelpText('after', '\nExit codes: 0 ok, 1 failed, 2 usage error, 130 interrupted.\nRun `smoothpub <command> --help` for a command\'s options.\n');
  try {
    await program.parseAsync(argv);
    return controller.signal.aborted ? ExitCode.INTERRUPTED : (typeof process.exitCode === 'number' ? process.exitCode : ExitCode.OK);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return ExitCode.OK;
      if (json) printUsageError(e.message);
      return ExitCode.USAGE;
    }
    return reportError(e, json);
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
