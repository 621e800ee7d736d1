import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ErrorCode, SmoothpubError, isSmoothpubError, type ErrorContext } from '../errors.js';
import { policyObjects, type PlanOptions } from '../plan/buildPlan.js';
import type { PresentationOptions } from '../plan/buildPresentation.js';
import type { FoundPresentation } from '../plan/findPresentations.js';
import { bodySize, type Plan } from '../plan/plan.js';
import { planFromFolder } from '../plan/planFromFolder.js';
import type { PresentationProtection } from '../plan/protectionSettings.js';
import { createStore } from '../stores/createStore.js';
import { parseDestination, type ParsedDestination } from '../stores/parseDestination.js';
import { scopeStore } from '../stores/scopeStore.js';
import type { Store } from '../stores/store.js';
import { Limiter } from '../util/limiter.js';
import { runAll } from '../util/runAll.js';
import { GlobalPause } from './backoff.js';
import { openLibrarySource, parseLibrary, type LibraryEntry, type LibrarySource } from './librarySource.js';
import { createRetrying, DEFAULT_CONCURRENCY, prepareStore, publishPlan, type PublishEvent, type PublishOptions, type PublishSummary } from './publishPlan.js';
import { planSources, type PlanInputsOptions } from './publishPresentation.js';

/** One presentation of a library that could not be published, and why. */
export interface LibraryFailure {
  /** Its path in the library (and under the destination). */
  presentation: string;
  code: string;
  message: string;
  context: ErrorContext;
}

/**
 * What publishing a library reports. Events of one presentation carry its `presentation`
 * (its path in the library); those without one are the library's own (setup retries,
 * policy files at the root).
 */
export type LibraryEvent =
  | { type: 'found'; presentations: number; source: string }
  | (PublishEvent & { presentation?: string })
  | { type: 'published'; presentation: string; summary: PublishSummary }
  | ({ type: 'failed' } & LibraryFailure);

/** One publish's summary (`store` the destination prefix; the counts totals over every presentation published and the policy files at the root), with the library's own. */
export interface LibrarySummary extends PublishSummary {
  /** The library, as given. */
  source: string;
  presentations: number;
  published: number;
  failed: number;
  /** Every presentation that failed, in library order. */
  failures: LibraryFailure[];
}

export interface PublishLibraryOptions extends Omit<PublishOptions, 'onEvent' | 'files' | 'limiter' | 'pause'>, PlanOptions, PresentationOptions {
  /** The library: a folder, `az://container/prefix` or `s3://bucket/prefix`. */
  source: string;
  /**
   * Only these presentations: paths relative to `source` (a `.ism`, a folder of media, a
   * packaged folder), or URLs or absolute paths under it. Default: every one found under it.
   */
  only?: string[];
  /** `az://container/prefix`, `s3://bucket/prefix` or a folder: each presentation goes to `<dest>/<its path>/`. */
  dest: string;
  /** Blob service or S3 endpoint of the destination (Azurite, MinIO, other clouds). */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The blob service or S3 endpoint of a remote `source`; default `endpoint` when source and destination are the same kind of store. */
  sourceEndpoint?: string;
  onEvent?: (e: LibraryEvent) => void;
  /** Encrypt every presentation's fragments on the way, with the same keys (sources only: a packaged one is refused). */
  protection?: PresentationProtection;
}

/**
 * Publishes every presentation of a library, each to `<dest>/<its path in the library>/`
 * (the names `serve` gives it), with one `concurrency` of requests shared by all of them.
 * Each presentation is published as publishPresentation would (Manifest last, resumable:
 * a re-run uploads only what is missing or differs); one that fails (corrupt source,
 * unreadable `.ism`, a store that keeps refusing it) is reported and the others go on.
 * Only an abort, or a store that cannot be set up at all, stops the whole run.
 */
export async function publishLibrary(opts: PublishLibraryOptions): Promise<LibrarySummary> {
  const started = performance.now();
  const emit = opts.onEvent ?? ((): void => undefined);
  const signal = opts.signal;
  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
  const dest = parseDestination(opts.dest);
  const storeOptions = {
    concurrency,
    ...(opts.region !== undefined && { region: opts.region }),
    ...(opts.forcePathStyle !== undefined && { forcePathStyle: opts.forcePathStyle }),
    ...(opts.env !== undefined && { env: opts.env }),
  };
  const sourceKind = parseLibrary(opts.source).kind;
  const sourceEndpoint = opts.sourceEndpoint ?? (sourceKind === dest.kind ? opts.endpoint : undefined);
  const pause = new GlobalPause();
  const totals = { objects: 0, uploaded: 0, skipped: 0, kept: 0, bytes: 0, retries: 0 };
  const withRetries = createRetrying({ ...opts, onEvent: emit }, pause, () => totals.retries++);
  const library = await openLibrarySource(opts.source, { ...storeOptions, ...(sourceEndpoint !== undefined && { endpoint: sourceEndpoint }) }, withRetries);
  let store: Store | undefined;
  try {
    if (library.local && dest.kind === 'folder') refuseNested(opts.source, dest.path);
    const entries: LibraryEntry[] = opts.only === undefined ? await library.findAll() : await findListed(library, opts.only, signal);
    if (entries.length === 0) {
      throw new SmoothpubError(
        ErrorCode.NO_PRESENTATIONS,
        `no presentation under ${library.location}: expected .ism server manifests, folders named *.ism holding .ismv/.isma/.mp4/.m4a files${library.local ? ', or packaged folders with a Manifest' : ''}`,
      );
    }
    emit({ type: 'found', presentations: entries.length, source: library.location });

    store = await createStore(dest, { ...storeOptions, ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }) });
    const limiter = new Limiter(concurrency);
    const add = (s: PublishSummary): void => {
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += s[k];
    };
    const prepared = await prepareStore(store, opts, withRetries);
    // Per presentation: no setup of its own, and the policy files once, at the root.
    const shared: PublishOptions = { ...opts, cors: [], publicRead: false, limiter, pause, ...(library.files !== undefined && { files: library.files }) };
    const root = store;
    if (opts.policy) {
      const objects = policyObjects();
      const plan: Plan = { objects, totalBytes: objects.reduce((n, o) => n + bodySize(o.body), 0) };
      add(await publishPlan(plan, scopeStore(root, '', root.description, prepared), { ...shared, onEvent: emit }));
    }

    const failures: LibraryFailure[] = [];
    let published = 0;
    const fail = (presentation: string, e: unknown): void => {
      const failure: LibraryFailure = isSmoothpubError(e)
        ? { presentation, code: e.code, message: e.message, context: e.context }
        : { presentation, code: 'internal', message: e instanceof Error ? (e.stack ?? e.message) : String(e), context: {} };
      failures.push(failure);
      emit({ type: 'failed', ...failure });
    };
    const publishOne = async (entry: LibraryEntry): Promise<void> => {
      if ('error' in entry) return fail(entry.path, entry.error);
      const onEvent = (e: PublishEvent): void => emit({ ...e, presentation: entry.path });
      try {
        const plan = await planOf(entry, library, { ...opts, policy: false, onWarning: (w) => onEvent({ type: 'warning', code: w.code, message: w.message, context: w.context }) });
        const at = scopeStore(root, entry.path, locationOf(dest, entry.path), prepared);
        const summary = await publishPlan(plan, at, { ...shared, onEvent });
        add(summary);
        published++;
        emit({ type: 'published', presentation: entry.path, summary });
      } catch (e) {
        // Ctrl-C stops everything; anything else is this presentation's failure.
        if (signal?.aborted) throw signal.reason;
        fail(entry.path, e);
      }
    };
    // A few presentations at once keep the shared slots busy while the next ones are indexed.
    await runAll(entries, Math.max(2, Math.min(16, Math.ceil(concurrency / 8))), publishOne, signal);

    const order = new Map(entries.map((e, i) => [e.path, i]));
    failures.sort((a, b) => order.get(a.presentation)! - order.get(b.presentation)!);
    const seconds = (performance.now() - started) / 1000;
    return {
      source: library.location,
      store: store.description,
      presentations: entries.length,
      published,
      failed: failures.length,
      ...totals,
      seconds,
      throughput: seconds > 0 ? totals.bytes / seconds : 0,
      dryRun: opts.dryRun === true,
      ...(prepared.publicAccess !== undefined && { publicAccess: prepared.publicAccess }),
      ...(prepared.cors !== undefined && { cors: prepared.cors }),
      failures,
    };
  } finally {
    await library.close();
    await store?.close?.();
  }
}

/** A presentation's plan: a packaged folder as it is, or its sources indexed (local files, or read by range from the store). */
function planOf(entry: FoundPresentation, library: LibrarySource, options: PlanInputsOptions): Promise<Plan> {
  if (entry.kind === 'packaged') {
    if (options.protection) {
      return Promise.reject(new SmoothpubError(ErrorCode.BAD_OPTION, 'a packaged presentation is published as it is and cannot be encrypted on the way: package it with the key', { file: entry.path }));
    }
    return planFromFolder(library.inputOf(entry.inputs[0]!), options);
  }
  return planSources(entry.inputs.map((k) => library.inputOf(k)), { ...options, ...(library.files !== undefined && { files: library.files }) });
}

/** `--list` entries, each resolved (a few lookups at a time); one that is no presentation becomes its failure. */
async function findListed(library: LibrarySource, only: string[], signal: AbortSignal | undefined): Promise<LibraryEntry[]> {
  const entries: LibraryEntry[] = new Array<LibraryEntry>(only.length);
  await runAll(only, 8, async (line, i) => void (entries[i] = await library.find(line)), signal);
  // The same presentation listed twice is published once.
  const seen = new Set<string>();
  return entries.filter((e) => !seen.has(e.path) && seen.add(e.path));
}

/** Where a presentation at `path` of the library goes: what a single publish of it would be given. */
export function locationOf(dest: ParsedDestination, path: string): string {
  if (dest.kind === 'folder') return path === '' ? dest.path : join(dest.path, ...path.split('/'));
  const prefix = [dest.prefix, path].filter((p) => p !== '').join('/');
  return `${dest.kind === 'azure' ? 'az' : 's3'}://${dest.kind === 'azure' ? dest.container : dest.bucket}${prefix === '' ? '' : `/${prefix}`}`;
}

/** A folder destination inside a local library would be found as part of it by the next run. */
function refuseNested(source: string, destPath: string): void {
  const inside = relative(resolve(source), resolve(destPath));
  if (!(inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `the destination folder ${destPath} is inside the library ${source}: a re-run would publish what it wrote; choose a folder outside it`);
  }
}
