import { openFileSource } from '../source/fileSource.js';
import { indexSource, type IndexOptions } from './indexSource.js';
import type { SourceIndex } from './types.js';

/** Indexes a local file; see indexSource. */
export async function indexFile(path: string, options: IndexOptions = {}): Promise<SourceIndex> {
  const src = await openFileSource(path);
  try {
    return await indexSource(src, options);
  } finally {
    await src.close();
  }
}
