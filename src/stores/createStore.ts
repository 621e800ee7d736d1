import { createFolderStore } from './folderStore.js';
import type { ParsedDestination } from './parseDestination.js';
import type { ObjectReader } from './objectReader.js';
import type { Store } from './store.js';

export interface CreateStoreOptions {
  /** Requests in flight at once; connection pools are sized for it. */
  concurrency?: number;
  /** Azure blob service URL or S3 endpoint (Azurite, s3rver, MinIO, other clouds). */
  endpoint?: string;
  /** S3 region (default from the AWS configuration, else us-east-1). */
  region?: string;
  /** S3 path-style addressing (default: on when an endpoint is given). */
  forcePathStyle?: boolean;
  /** Where Azure credentials come from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** The store for a parsed destination. The cloud SDKs load only when needed (they are slow to import). */
export async function createStore(dest: ParsedDestination, opts: CreateStoreOptions = {}): Promise<Store> {
  return dest.kind === 'folder' ? createFolderStore(dest.path) : createRemoteStore(dest, opts);
}

/** An Azure container or S3 bucket prefix: a store that can also read its objects back (the origin's remote roots). */
export async function createRemoteStore(dest: Exclude<ParsedDestination, { kind: 'folder' }>, opts: CreateStoreOptions = {}): Promise<Store & ObjectReader> {
  if (dest.kind === 'azure') {
    const { createAzureStore } = await import('./azureStore.js');
    return createAzureStore({
      container: dest.container,
      prefix: dest.prefix,
      ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
      ...(opts.concurrency !== undefined && { concurrency: opts.concurrency }),
      ...(opts.env !== undefined && { env: opts.env }),
    });
  }
  const { createS3Store } = await import('./s3Store.js');
  return createS3Store({
    bucket: dest.bucket,
    prefix: dest.prefix,
    ...(opts.region !== undefined && { region: opts.region }),
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    ...(opts.forcePathStyle !== undefined && { forcePathStyle: opts.forcePathStyle }),
    ...(opts.concurrency !== undefined && { concurrency: opts.concurrency }),
  });
}
