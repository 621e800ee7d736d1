import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { createRemoteStore, type CreateStoreOptions } from '../stores/createStore.js';
import { listFiles } from '../stores/folderStore.js';
import type { ObjectReader } from '../stores/objectReader.js';
import { parseDestination } from '../stores/parseDestination.js';
import { redactUrl } from './manifestUrl.js';

/** A published presentation to verify: its path under the prefix (or its URL) and its Manifest URL. */
export interface PublishedPresentation {
  presentation: string;
  manifestUrl: string;
}

export interface FindPublishedOptions extends Pick<CreateStoreOptions, 'endpoint' | 'region' | 'forcePathStyle' | 'env'> {
  /**
   * The address players use for the prefix (a CDN, a public container): `<baseUrl>/<path>/Manifest`
   * is fetched. Default for `az://` and `s3://`: the store's own URL of each object (anonymous,
   * or with the SAS the credentials carry). Required for a local folder.
   */
  baseUrl?: string;
  /** Only these: paths under the prefix (`films/a.ism`), or Manifest URLs. Default: every `Manifest` found under it. */
  only?: string[];
}

/**
 * The presentations published under `target`: every object named `Manifest` under an
 * `az://` or `s3://` prefix, or a local folder (one listing), each with the URL to verify it at.
 * With `only`, the listed ones; `target` may then be an `http(s)://` base as well, or
 * omitted when every entry is a Manifest URL.
 */
export async function findPublished(target: string | undefined, options: FindPublishedOptions = {}): Promise<{ location: string; presentations: PublishedPresentation[] }> {
  const only = options.only;
  if (target === undefined) {
    const relative = only?.find((e) => !isHttpUrl(e));
    if (only === undefined || relative !== undefined) {
      throw new SmoothpubError(ErrorCode.BAD_OPTION, `'${relative ?? ''}' is a path, not a Manifest URL: give the prefix it is under (az://, s3://, https://, or a folder with --base-url)`);
    }
    return { location: '', presentations: only.map((url) => ({ presentation: redactUrl(url), manifestUrl: url })) };
  }
  const base = options.baseUrl ?? (isHttpUrl(target) ? target : undefined);
  let reader: (ObjectReader & { list?: ObjectReader['list'] }) | undefined;
  let listAll: (() => AsyncIterable<string>) | undefined;
  let location = target;
  if (!isHttpUrl(target)) {
    const parsed = parseDestination(target);
    if (parsed.kind === 'folder') {
      if (base === undefined) throw new SmoothpubError(ErrorCode.BAD_OPTION, `verify reads presentations over HTTP: give --base-url, the address that serves the folder ${target}`);
      if (!(await stat(parsed.path).catch(() => undefined))?.isDirectory()) throw new SmoothpubError(ErrorCode.BAD_OPTION, `'${target}' is no folder`);
      listAll = () => listFiles(parsed.path);
    } else {
      const store = await createRemoteStore(parsed, options);
      reader = store;
      listAll = async function* () {
        for await (const o of store.list()) yield o.key;
      };
      location = `${parsed.kind === 'azure' ? `az://${parsed.container}` : `s3://${parsed.bucket}`}${parsed.prefix === '' ? '' : `/${parsed.prefix}`}`;
    }
  }
  try {
    const urlOf = (key: string): string => {
      if (base !== undefined) return joinUrl(base, key);
      const url = reader?.urlOf?.(key);
      if (url === undefined) throw new SmoothpubError(ErrorCode.BAD_OPTION, `cannot tell the HTTP address of ${location}: give --base-url`);
      return url;
    };
    if (only !== undefined) {
      return {
        location,
        presentations: only.map((entry) => {
          if (isHttpUrl(entry)) return { presentation: redactUrl(entry), manifestUrl: entry };
          const path = posix.normalize(entry).replace(/^\/+|\/+$/g, '').replace(/(^|\/)Manifest$/, '');
          if (path === '..' || path.startsWith('../')) throw new SmoothpubError(ErrorCode.BAD_OPTION, `list entry '${entry}' is outside ${location}`);
          const key = path === '.' || path === '' ? 'Manifest' : `${path}/Manifest`;
          return { presentation: path === '.' ? '' : path, manifestUrl: urlOf(key) };
        }),
      };
    }
    if (listAll === undefined) {
      throw new SmoothpubError(ErrorCode.BAD_OPTION, `an http(s):// prefix cannot be listed: give the store (az://container/prefix, s3://bucket/prefix) with --base-url ${target}, or --list with the presentations`);
    }
    const presentations: PublishedPresentation[] = [];
    for await (const key of listAll()) {
      if (key !== 'Manifest' && !key.endsWith('/Manifest')) continue;
      presentations.push({ presentation: posix.dirname(key) === '.' ? '' : posix.dirname(key), manifestUrl: urlOf(key) });
    }
    presentations.sort((a, b) => (a.presentation < b.presentation ? -1 : a.presentation > b.presentation ? 1 : 0));
    return { location, presentations };
  } finally {
    await reader?.close?.();
  }
}

function isHttpUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/** `base` (its query, e.g. a SAS, kept) with `key`'s segments appended, each percent-encoded. */
function joinUrl(base: string, key: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `--base-url must be an absolute http(s) URL, got ${JSON.stringify(redactUrl(base))}`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return url.href;
}
