import { ErrorCode, SmoothpubError, type SmoothpubWarning } from '../errors.js';
import { buildPlan, type PlanOptions } from '../plan/buildPlan.js';
import { loadPresentation, type LoadOptions } from '../plan/loadPresentation.js';
import type { PresentationOptions } from '../plan/buildPresentation.js';
import type { Plan } from '../plan/plan.js';
import { isPresentationFolder, planFromFolder } from '../plan/planFromFolder.js';
import { presentationWarnings } from '../plan/presentationWarnings.js';
import { createStore } from '../stores/createStore.js';
import { parseDestination } from '../stores/parseDestination.js';
import type { Store } from '../stores/store.js';
import type { PresentationProtection } from '../plan/protectionSettings.js';
import { DEFAULT_CONCURRENCY, publishPlan, type PublishOptions, type PublishSummary } from './publishPlan.js';

export interface PublishPresentationOptions extends PublishOptions, PlanOptions, PresentationOptions {
  /** Sources (.ismv/.isma/.ism) or one packaged presentation folder. */
  inputs: string[];
  /** `az://container/prefix`, `s3://bucket/prefix` or a local folder: the presentation root. */
  dest: string;
  /** Blob service or S3 endpoint (Azurite, MinIO, other clouds). */
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  /** Where Azure credentials are read from (default `process.env`); AWS uses its default chain. */
  env?: NodeJS.ProcessEnv;
  /** Encrypt every fragment on the way (sources only: a packaged folder is published as it is). */
  protection?: PresentationProtection;
}

export type PlanInputsOptions = PlanOptions & LoadOptions & { onWarning?: (w: SmoothpubWarning) => void };

/** The plan for some inputs: a packaged folder as it is, or sources indexed afresh. */
export async function planInputs(inputs: string[], options: PlanInputsOptions = {}): Promise<Plan> {
  const only = inputs[0];
  if (options.files === undefined && inputs.length === 1 && only !== undefined && (await isPresentationFolder(only))) {
    if (options.protection) {
      throw new SmoothpubError(ErrorCode.BAD_OPTION, 'a packaged folder is published as it is and cannot be encrypted on the way: publish its sources with the key, or package them with it first', { file: only });
    }
    return planFromFolder(only, options);
  }
  return planSources(inputs, options);
}

/** The plan for sources (media files, `.ism` server manifests), indexed afresh; their warnings go to `onWarning`. */
export async function planSources(inputs: string[], options: PlanInputsOptions = {}): Promise<Plan> {
  const loaded = await loadPresentation(inputs, options);
  for (const w of presentationWarnings(loaded, options.formats)) options.onWarning?.(w);
  return buildPlan(loaded, options);
}

/**
 * Publishes a presentation to Azure Blob, S3 or a folder: fragments first with
 * retries, the Manifest last; a re-run uploads only what is missing or differs.
 */
export async function publishPresentation(opts: PublishPresentationOptions): Promise<PublishSummary> {
  const dest = parseDestination(opts.dest);
  const plan = await planInputs(opts.inputs, { ...opts, onWarning: (w) => opts.onEvent?.({ type: 'warning', code: w.code, message: w.message, context: w.context }) });
  const store: Store = await createStore(dest, {
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    ...(opts.region !== undefined && { region: opts.region }),
    ...(opts.forcePathStyle !== undefined && { forcePathStyle: opts.forcePathStyle }),
    ...(opts.env !== undefined && { env: opts.env }),
  });
  // Refuse options the store cannot honour before any request; publishPlan sets them (with retries).
  if (opts.cors !== undefined && opts.cors.length > 0 && !store.setCors) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `--cors is not supported for ${store.description}`);
  }
  if (opts.publicRead === true && !store.setPublicRead) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `--public is only for Azure containers, not ${store.description}`);
  }
  return publishPlan(plan, store, opts);
}
