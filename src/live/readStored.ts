import { ErrorCode, SmoothpubError } from '../errors.js';
import type { ObjectReader } from '../stores/objectReader.js';
import type { Store } from '../stores/store.js';

/** A store ingest can write to and read its own Manifest back from (a folder, or a remote store with ObjectReader's reads). */
export type IngestStore = Store & Partial<Pick<ObjectReader, 'head' | 'read'>>;

/** The whole object under `key`, undefined when there is none. */
export async function readStored(store: IngestStore, key: string): Promise<Uint8Array | undefined> {
  if (store.get) return store.get(key);
  if (store.head && store.read) {
    const info = await store.head(key);
    return info === undefined ? undefined : store.read(key, 0, info.size);
  }
  throw new SmoothpubError(ErrorCode.BAD_DESTINATION, `${store.description} cannot be read back: ingest needs a folder, az:// or s3:// store`);
}
