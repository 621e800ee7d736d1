import { ErrorCode, SmoothpubError } from '../../errors.js';
import type { LibraryEvent, LibrarySummary, PublishLibraryOptions } from '../../publish/publishLibrary.js';
import type { PublishEvent, PublishSummary } from '../../publish/publishPlan.js';
import { diagnostic, printEvent, throttle } from '../events.js';
import { readListFile } from '../listFile.js';
import { ExitCode, formatBytes } from '../output.js';
import { describePublicAccess, publishEventLine, publishEventText } from './publishEvents.js';

interface LibraryCliOptions {
  all?: boolean;
  list?: string;
  sourceEndpoint?: string;
  json: boolean;
  progress: boolean;
}

/** What publish hands every presentation of a library, as it would a single one. */
type CommonOptions = Omit<PublishLibraryOptions, 'source' | 'dest' | 'only' | 'onEvent' | 'sourceEndpoint'>;

/** `publish --all <library> <dest>` and `publish --list <file> <library> <dest>`. */
export async function runPublishLibrary(args: string[], opts: LibraryCliOptions, common: CommonOptions): Promise<void> {
  if (opts.all === true && opts.list !== undefined) throw new SmoothpubError(ErrorCode.BAD_OPTION, '--all and --list exclude each other: --all publishes every presentation of the library, --list those the file names');
  if (args.length !== 2) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `publish ${opts.all === true ? '--all' : '--list <file>'} takes the library (a folder, az:// or s3:// prefix) and the destination prefix, got ${args.length} arguments`);
  }
  const [source, dest] = args as [string, string];
  const only = opts.list === undefined ? undefined : await readListFile(opts.list);
  const { publishLibrary } = await import('../../publish/publishLibrary.js');
  const render = opts.json ? jsonRenderer() : textRenderer(opts.progress);
  let summary: LibrarySummary;
  try {
    summary = await publishLibrary({
      ...common,
      source,
      dest,
      ...(only !== undefined && { only }),
      ...(opts.sourceEndpoint !== undefined && { sourceEndpoint: opts.sourceEndpoint }),
      onEvent: render.event,
    });
  } finally {
    render.stop();
  }
  render.result(summary);
  process.exitCode = summary.failed > 0 ? ExitCode.FAILED : ExitCode.OK;
}

interface Renderer {
  event(e: LibraryEvent): void;
  stop(): void;
  result(s: LibrarySummary): void;
}

/**
 * The single publish's JSON lines, each about one presentation carrying its `presentation`;
 * a presentation that fails ends with an `error` line of its own and the run goes on.
 * Progress lines without `presentation` count presentations; the last line is the library's `result`.
 */
function jsonRenderer(): Renderer {
  const perPresentation = new Map<string, (e: PublishEvent) => void>();
  const counts = { presentations: 0, published: 0, failed: 0 };
  const printCounts = throttle<typeof counts>(
    (c) => printEvent('progress', { ...c }),
    (c) => c.published + c.failed === c.presentations,
  );
  const progressOf = (presentation: string): ((e: PublishEvent) => void) => {
    let print = perPresentation.get(presentation);
    if (print === undefined) {
      print = throttle<PublishEvent>(
        (e) => printEvent(publishEventLine(e)[0], { presentation, ...publishEventLine(e)[1] }),
        (e) => e.type === 'progress' && e.done === e.objects,
      );
      perPresentation.set(presentation, print);
    }
    return print;
  };
  return {
    event(e) {
      switch (e.type) {
        case 'found':
          counts.presentations = e.presentations;
          printCounts(counts);
          return;
        case 'published':
          perPresentation.delete(e.presentation);
          counts.published++;
          printEvent('result', { presentation: e.presentation, command: 'publish', ...e.summary });
          printCounts(counts);
          return;
        case 'failed':
          perPresentation.delete(e.presentation);
          counts.failed++;
          printEvent('error', { presentation: e.presentation, ...diagnostic(e.code, e.message, e.context) });
          printCounts(counts);
          return;
        default: {
          const { presentation, ...event } = e;
          if (presentation !== undefined && event.type === 'progress') progressOf(presentation)(event);
          else printEvent(publishEventLine(event)[0], { ...(presentation !== undefined && { presentation }), ...publishEventLine(event)[1] });
        }
      }
    },
    stop: () => undefined,
    result: (s) => printEvent('result', { command: 'publish', ...s }),
  };
}

/**
 * One line per presentation on stdout as it finishes, warnings and retries on stderr, and
 * on a terminal a status line (presentations, objects, bytes) on stderr below them.
 */
function textRenderer(progress: boolean): Renderer {
  const status = progress && process.stderr.isTTY === true;
  const counts = { presentations: 0, done: 0, failed: 0, objects: 0, bytes: 0 };
  let shown = false;
  let last = 0;
  const clear = (): void => {
    if (shown) process.stderr.write('\r\x1b[K');
    shown = false;
  };
  const draw = (force: boolean): void => {
    if (!status) return;
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    shown = true;
    process.stderr.write(`\r\x1b[Kpublishing: ${counts.done}/${counts.presentations} presentations, ${counts.failed} failed, ${counts.objects} objects, ${formatBytes(counts.bytes)}`);
  };
  const say = (stream: NodeJS.WriteStream, line: string): void => {
    clear();
    stream.write(`${line}\n`);
    draw(true);
  };
  return {
    event(e) {
      switch (e.type) {
        case 'found':
          counts.presentations = e.presentations;
          draw(true);
          return;
        case 'published':
          counts.done++;
          say(process.stdout, `${e.summary.dryRun ? 'would publish' : 'published'} ${e.presentation}: ${describeCounts(e.summary)}, ${e.summary.seconds.toFixed(2)} s`);
          return;
        case 'failed':
          counts.done++;
          counts.failed++;
          say(process.stdout, `failed ${e.presentation}: error ${e.code}: ${e.message}`);
          return;
        default: {
          if (e.type === 'object' && e.action === 'upload') counts.objects++;
          if (e.type === 'object' && e.action === 'upload') counts.bytes += e.size;
          const text = publishEventText(e, e.presentation);
          if (text !== undefined) say(process.stderr, text);
          else draw(false);
        }
      }
    },
    stop: clear,
    result(s) {
      const verb = s.dryRun ? 'would publish' : 'published';
      const lines = [
        `${verb} ${s.published} of ${s.presentations} presentations from ${s.source}: ${describeCounts(s)}, ${s.seconds.toFixed(2)} s, ${formatBytes(s.throughput)}/s`,
        `to ${s.store}`,
      ];
      let text = lines.join('\n') + '\n';
      if (s.publicAccess) text += describePublicAccess(s.publicAccess);
      if (s.cors) text += s.cors === 'added' ? 'CORS: rule added after the existing ones\n' : 'CORS: the existing rules already allow these origins\n';
      if (s.failures.length > 0) {
        text += `${s.failures.length} failed:\n` + s.failures.map((f) => `  ${f.presentation}: error ${f.code}: ${f.message}\n`).join('');
      }
      process.stdout.write(text);
    },
  };
}

function describeCounts(s: Pick<PublishSummary, 'uploaded' | 'objects' | 'bytes' | 'skipped' | 'kept' | 'retries' | 'dryRun'>): string {
  const kept = s.kept > 0 ? `, kept ${s.kept} of the owner's` : '';
  return `${s.dryRun ? 'would upload' : 'uploaded'} ${s.uploaded} of ${s.objects} objects (${formatBytes(s.bytes)}), skipped ${s.skipped} unchanged${kept}, ${s.retries} retries`;
}
