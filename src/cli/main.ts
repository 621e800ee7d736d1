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
import { runCli } from './runCli.js';

/** Runs the CLI with every command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  return runCli(argv, (program, interrupt) => {
    const { signal } = interrupt;
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
  });
}
