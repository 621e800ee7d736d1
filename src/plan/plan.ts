import type { BuiltFragment } from '../fragments/types.js';

/**
 * A body is bytes in memory (Manifest, policy files) or a fragment of a source file: a
 * byte range, or (plain MP4 input) a `built` fragment of `size` bytes made from it.
 */
export type ObjectBody =
  | { kind: 'bytes'; data: Uint8Array }
  | { kind: 'range'; file: string; offset: number; size: number; built?: BuiltFragment };

/** One object a Smooth client may request, relative to the presentation root (`<name>.ism/`). */
export interface PlannedObject {
  key: string;
  contentType: string;
  cacheControl: string;
  body: ObjectBody;
}

export interface Plan {
  /** Fragments first, the Manifest last: a store that writes in order never shows a Manifest with holes. */
  objects: PlannedObject[];
  totalBytes: number;
}

export function bodySize(body: ObjectBody): number {
  return body.kind === 'bytes' ? body.data.length : body.size;
}
