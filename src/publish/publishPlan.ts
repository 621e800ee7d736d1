import { ErrorCode, SmoothpubError, type ErrorContext, type WarningCodeValue } from '../errors.js';
import type { Plan, PlannedObject } from '../plan/plan.js';
import type { SourceAccess } from '../source/sourceAccess.js';
import type { Limiter } from '../util/limiter.js';
import { runAll } from '../util/runAll.js';
import { DEFAULT_CONCURRENCY } from './defaults.js';

export { DEFAULT_CONCURRENCY };
import { SourceFiles, type LoadedBody } from '../plan/sourceFiles.js';
import { StoreError, type PublicReadChange, type Store, type StoredObject } from '../stores/store.js';
import { DEFAULT_RETRY_POLICY, GlobalPause, isRetryable, retryDelay, sleep, type RetryPolicy } from './backoff.js';

/** Keys a Smooth client fetches from the host root, not from the presentation. */
export const ROOT_KEYS = new Set(['clientaccesspolicy.xml', 'crossdomain.xml']);
export const MANIFEST_KEY = 'Manifest';

export type PublishEvent =
  | { type: 'start'; objects: number; bytes: number; store: string }
  | { type: 'progress'; done: number; objects: number; bytes: number; totalBytes: number; uploaded: number; skipped: number; retries: number }
  | { type: 'retry'; key: string; attempt: number; delayMs: number; reason: string; throttled: boolean }
  | { type: 'object'; key: string; action: 'upload' | 'skip' | 'keep'; size: number }
  | { type: 'warning'; code: PublishWarningCode | WarningCodeValue; key?: string; message: string; context?: ErrorContext };

/**
 * Stable codes of what publish reports without failing. `publish.root-object-kept`: a
 * policy file at the account or bucket root holds other content (the owner's): kept.
 */
export type PublishWarningCode = 'publish.root-object-kept';

export interface PublishSummary {
  store: string;
  objects: number;
  uploaded: number;
  skipped: number;
  /** Objects left as the destination holds them although ours differ: policy files at the root that are the owner's (`force` replaces them). */
  kept: number;
  /** Bytes sent (skipped objects not counted). */
  bytes: number;
  seconds: number;
  /** Bytes per second actually sent. */
  throughput: number;
  retries: number;
  dryRun: boolean;
  /** With `publicRead`: the container's public access before and after, and how many stored access policies it keeps. */
  publicAccess?: PublicReadChange;
  /** With `cors`: `added` when a rule was added, `present` when the store's rules already allowed the origins. */
  cors?: 'added' | 'present';
}

export interface PublishOptions {
  /** Requests in flight. */
  concurrency?: number;
  /**
   * Replace what the destination already holds: upload every object, even those the
   * store holds unchanged, and overwrite policy files at the account or bucket root that
   * differ from ours (without it those are the owner's and are kept, with a warning).
   */
  force?: boolean;
  /** Decide what would be uploaded, upload nothing. */
  dryRun?: boolean;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  onEvent?: (e: PublishEvent) => void;
  /** Origins allowed by CORS rules set on the store before any object (the store must support it). */
  cors?: string[];
  /** Make the Azure container's blobs publicly readable before any object (the store must support it); stored access policies and a wider level are kept. */
  publicRead?: boolean;
  /** Where the plan's range bodies are read from (default: local files by path). */
  files?: SourceAccess;
  /**
   * Requests in flight shared with other plans published at the same time (a library):
   * each object holds one slot while it is read and uploaded. Without it, `concurrency`.
   */
  limiter?: Limiter;
  /** A throttling pause shared with other plans publishing to the same store. */
  pause?: GlobalPause;
}

/** Runs a store request with publish's retries: backoff, Retry-After, a shared pause when throttled. */
export type Retrying = <T>(key: string, op: () => Promise<T>) => Promise<T>;

/** Retries as `options` ask; `onRetry` counts and reports each one. */
export function createRetrying(options: Pick<PublishOptions, 'retry' | 'signal' | 'onEvent'>, pause: GlobalPause, onRetry: () => void = () => undefined): Retrying {
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const signal = options.signal;
  return async (key, op) => {
    for (let attempt = 0; ; attempt++) {
      await pause.wait(signal);
      signal?.throwIfAborted();
      try {
        return await op();
      } catch (e) {
        // The caller stopped us (Ctrl-C): say so, not how the store request in flight failed.
        if (signal?.aborted) throw signal.reason;
        if (!isRetryable(e) || attempt >= policy.retries) throw e;
        const delayMs = retryDelay(policy, attempt, e);
        onRetry();
        if (e.details.throttled) pause.extend(delayMs);
        options.onEvent?.({ type: 'retry', key, attempt: attempt + 1, delayMs, reason: e.message, throttled: e.details.throttled });
        await sleep(delayMs, signal);
      }
    }
  };
}

/** What preparing a store did: whether the container was created (so it is empty), and the CORS and access changes. */
export interface PreparedStore {
  created: boolean;
  publicAccess?: PublicReadChange;
  cors?: 'added' | 'present';
}

/**
 * Before any object: creates the container, bucket or folder when missing, then sets the
 * CORS rules and public access `options` ask for. A dry run does none of it.
 */
export async function prepareStore(store: Store, options: Pick<PublishOptions, 'dryRun' | 'cors' | 'publicRead'>, withRetries: Retrying): Promise<PreparedStore> {
  if (options.dryRun) return { created: false };
  // Setup requests fail like any other (a 503, a dropped connection): retried the same way.
  const prepared: PreparedStore = { created: (await withRetries('prepare', () => store.prepare())).created };
  const { setCors, setPublicRead } = store;
  if (options.cors !== undefined && options.cors.length > 0) {
    if (!setCors) throw new SmoothpubError(ErrorCode.BAD_OPTION, `--cors is not supported for ${store.description}`);
    const origins = options.cors;
    prepared.cors = await withRetries('CORS rules', () => setCors.call(store, origins));
  }
  if (options.publicRead) {
    if (!setPublicRead) throw new SmoothpubError(ErrorCode.BAD_OPTION, `--public is only for Azure containers, not ${store.description}`);
    prepared.publicAccess = await withRetries('public read access', () => setPublicRead.call(store));
  }
  return prepared;
}


/**
 * Runs a plan into a store: fragments concurrently with retries, then the DASH and HLS
 * documents, then the Manifest, each only after every object before it succeeded, so no client sees a presentation with
 * holes. Objects the store already holds with the same size and MD5 (one listing,
 * not one HEAD per object) are skipped, so a re-run after a crash finishes the job.
 */
export async function publishPlan(plan: Plan, store: Store, options: PublishOptions = {}): Promise<PublishSummary> {
  const started = performance.now();
  const emit = options.onEvent ?? ((): void => undefined);
  const signal = options.signal;
  const pause = options.pause ?? new GlobalPause();
  const sources = new SourceFiles(
    plan.objects.map((o) => o.body),
    options.files,
  );
  const state = { done: 0, uploaded: 0, skipped: 0, kept: 0, bytes: 0, retries: 0 };
  const totalBytes = plan.totalBytes;
  const withRetries = createRetrying(options, pause, () => state.retries++);

  emit({ type: 'start', objects: plan.objects.length, bytes: totalBytes, store: store.description });
  const { created, publicAccess, cors } = await prepareStore(store, options, withRetries);
  // The account or bucket root is not ours: what it holds is looked at before writing there.
  const atRoot = (key: string): boolean => ROOT_KEYS.has(key) && store.putAtRoot !== undefined;
  // A listing that fails halfway is started again: it is one request per page, cheap to repeat.
  // A container this run just created is empty, and a plan of root objects only has nothing
  // under the prefix: no listing (a round trip less; the whole library's, for its policy files).
  const existing =
    options.force || created || plan.objects.every((o) => atRoot(o.key))
      ? new Map<string, StoredObject>()
      : await withRetries('list', () => listExisting(store, options.dryRun === true, signal));
  const rootExisting = new Map<string, StoredObject>();
  if (!options.force && store.headAtRoot !== undefined) {
    const headAtRoot = store.headAtRoot.bind(store);
    for (const o of plan.objects.filter((p) => atRoot(p.key))) {
      const have = await withRetries(o.key, () => headAtRoot(o.key));
      if (have !== undefined) rootExisting.set(o.key, have);
    }
  }

  const publishOne = async (obj: PlannedObject): Promise<void> => {
    signal?.throwIfAborted();
    const body: LoadedBody = await sources.load(obj.body);
    const rooted = atRoot(obj.key);
    const have = rooted ? rootExisting.get(obj.key) : existing.get(obj.key);
    const unchanged = have !== undefined && have.size === body.size && have.md5 === Buffer.from(body.md5).toString('base64');
    // A different policy file at the root is the owner's (it may grant other sites access).
    const kept = rooted && have !== undefined && !unchanged;
    emit({ type: 'object', key: obj.key, action: unchanged ? 'skip' : kept ? 'keep' : 'upload', size: body.size });
    if (unchanged) {
      state.skipped++;
    } else if (kept) {
      state.kept++;
      emit({
        type: 'warning',
        code: 'publish.root-object-kept',
        key: obj.key,
        message: `${obj.key} at the root of ${store.description} differs from ours (${have.size} bytes${have.md5 === undefined ? ', no MD5 to compare' : ''}): kept as the owner's; --force replaces it`,
      });
    } else if (!options.dryRun) {
      const putOptions = { size: body.size, contentType: obj.contentType, cacheControl: obj.cacheControl, md5: body.md5, ...(signal && { signal }) };
      await withRetries(obj.key, () => (rooted ? store.putAtRoot!(obj.key, body.open, putOptions) : store.put(obj.key, body.open, putOptions)));
      state.uploaded++;
      state.bytes += body.size;
    } else {
      state.uploaded++;
    }
    state.done++;
    emit({ type: 'progress', done: state.done, objects: plan.objects.length, bytes: state.bytes, totalBytes, uploaded: state.uploaded, skipped: state.skipped, retries: state.retries });
  };

  try {
    // Documents (MPD, playlists) once every object they name is there; the Smooth Manifest last.
    const manifest = plan.objects.filter((o) => o.key === MANIFEST_KEY);
    const documents = plan.objects.filter((o) => o.document === true && o.key !== MANIFEST_KEY);
    const rest = plan.objects.filter((o) => o.document !== true && o.key !== MANIFEST_KEY);
    const limiter = options.limiter;
    const inSlot = limiter === undefined ? publishOne : (o: PlannedObject): Promise<void> => limiter.run(() => publishOne(o), signal);
    const concurrency = Math.max(1, limiter?.size ?? options.concurrency ?? DEFAULT_CONCURRENCY);
    await runAll(rest, concurrency, inSlot);
    await runAll(documents, concurrency, inSlot);
    for (const m of manifest) await inSlot(m);
  } finally {
    await sources.close();
    await store.close?.();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    store: store.description,
    objects: plan.objects.length,
    uploaded: state.uploaded,
    skipped: state.skipped,
    kept: state.kept,
    bytes: state.bytes,
    seconds,
    throughput: seconds > 0 ? state.bytes / seconds : 0,
    retries: state.retries,
    dryRun: options.dryRun === true,
    ...(publicAccess !== undefined && { publicAccess }),
    ...(cors !== undefined && { cors }),
  };
}

async function listExisting(store: Store, tolerateMissing: boolean, signal: AbortSignal | undefined): Promise<Map<string, StoredObject>> {
  const map = new Map<string, StoredObject>();
  try {
    for await (const o of store.list()) {
      signal?.throwIfAborted();
      map.set(o.key, o);
    }
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    // A dry run against a container that does not exist yet: everything would be uploaded.
    // Anything else (wrong credentials, an unreachable store) must not pass as "all new".
    if (!tolerateMissing || !(e instanceof StoreError && e.code === ErrorCode.STORE_NOT_FOUND)) throw e;
  }
  return map;
}
