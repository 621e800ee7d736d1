import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { createRemoteStore, type CreateStoreOptions } from '../stores/createStore.js';
import { parseDestination } from '../stores/parseDestination.js';
import { createLocalRoot, type LocalRootOptions } from './localRoot.js';
import type { OriginRoot } from './originRoot.js';
import { createRemoteRoot, type RemoteRootOptions } from './remoteRoot.js';

export type OpenRootOptions = LocalRootOptions & RemoteRootOptions & Pick<CreateStoreOptions, 'endpoint' | 'region' | 'forcePathStyle' | 'env' | 'concurrency'>;

/**
 * The root an origin serves from: a local folder, `az://container/prefix` (Azure
 * credentials as `publish` takes them), `s3://bucket/prefix` (the AWS default chain),
 * or an `http(s)://` base URL (anonymous; a SAS query is kept and never printed).
 */
export async function openOriginRoot(spec: string, opts: OpenRootOptions = {}): Promise<OriginRoot> {
  const remote = { ...(opts.recheckMs !== undefined && { recheckMs: opts.recheckMs }) };
  if (/^https?:\/\//i.test(spec)) {
    const { createHttpReader } = await import('../stores/httpReader.js');
    try {
      return createRemoteRoot(createHttpReader(spec), remote);
    } catch (e) {
      throw new SmoothpubError(ErrorCode.BAD_OPTION, `serve: '${spec.replace(/\?.*$/, '?…')}' is not a valid URL`, {}, { cause: e });
    }
  }
  const dest = parseDestination(spec);
  if (dest.kind === 'folder') {
    const info = await stat(dest.path).catch(() => undefined);
    if (!info?.isDirectory()) throw new SmoothpubError(ErrorCode.BAD_OPTION, `serve: <root> must be a folder, az://, s3:// or http(s):// URL, got '${spec}'`);
    return createLocalRoot(resolve(dest.path), opts);
  }
  return createRemoteRoot(await createRemoteStore(dest, opts), remote);
}
