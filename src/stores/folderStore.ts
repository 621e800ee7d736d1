import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { trackLeftover } from '../util/leftovers.js';
import { makeFolder } from '../util/makeFolder.js';
import { isOutputProblem, outputError } from '../util/outputError.js';
import { StoreError, type BodySource, type PutOptions, type Store, type StoredObject } from './store.js';

/**
 * A local folder as a store: the same layout `package` writes. Each object is written
 * to a temporary name and renamed, so a crash never leaves a half object under its key.
 */
export function createFolderStore(root: string): Store {
  const put = async (key: string, body: BodySource, options: PutOptions): Promise<void> => {
    const path = join(root, ...key.split('/'));
    const temp = `${path}.partial-${process.pid}`;
    const untrack = trackLeftover(temp);
    try {
      const write = async (): Promise<void> => {
        const data = body();
        if (data instanceof Uint8Array) await writeFile(temp, data);
        else await pipeline(data, createWriteStream(temp), options.signal ? { signal: options.signal } : {});
      };
      // The folder is made when a write finds it missing, not before every put: live
      // ingest writes thousands of objects into a few folders, and `mkdir -p` walks the path.
      await write().catch(async (e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        await mkdir(dirname(path), { recursive: true });
        await write();
      });
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true }).catch(() => undefined);
      // A full disk, a read-only folder, a file in the way: the user's to fix, and no retry helps.
      if (isOutputProblem(e)) throw outputError(e, path);
      const err = e as NodeJS.ErrnoException;
      throw new StoreError(`writing ${key} failed: ${err.code ?? err.message}`, { retryable: false, throttled: false, key }, { cause: e });
    } finally {
      untrack();
    }
  };
  return {
    description: root,
    prepare: async () => ({ created: (await makeFolder(root)).length > 0 }),
    list: (under = '') => listFolder(join(root, ...under.split('/').filter((s) => s !== ''))),
    // The folder is the presentation root: policy files are objects like any other (no putAtRoot).
    put,
    delete: async (key) => {
      try {
        await rm(join(root, ...key.split('/')), { force: true });
      } catch (e) {
        throw new StoreError(`deleting ${key} failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { retryable: false, throttled: false, key }, { cause: e });
      }
    },
    get: async (key) => {
      try {
        return await readFile(join(root, ...key.split('/')));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new StoreError(`reading ${key} failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { retryable: false, throttled: false, key }, { cause: e });
      }
    },
  };
}

async function* listFolder(root: string): AsyncGenerator<StoredObject> {
  for await (const key of listFiles(root)) {
    const path = join(root, ...key.split('/'));
    const size = (await stat(path)).size;
    yield { key, size, md5: await md5File(path) };
  }
}

/**
 * The regular files under `root` at any depth, as '/'-separated keys relative to it (a
 * missing folder has none); a put's temporary files are left out. Symbolic links are not
 * followed: a store holds no links, and a link may lead anywhere.
 */
export async function* listFiles(root: string): AsyncGenerator<string> {
  const walk = async function* (dir: string): AsyncGenerator<string> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) yield* walk(p);
      else if (e.isFile() && !/\.partial-\d+$/.test(e.name)) yield relative(root, p).split(sep).join('/');
    }
  };
  yield* walk(root);
}

async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(path), hash);
  return hash.digest('base64');
}
