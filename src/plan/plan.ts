import type { BuiltFragment } from '../fragments/types.js';
import type { StreamType } from '../smooth/model.js';

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
  /**
   * A document naming other objects (a Manifest, MPD or playlist): written only after
   * every fragment and init segment, so no client is sent to an object not there yet.
   */
  document?: boolean;
}

export interface Plan {
  /** Fragments first, then the documents, the Smooth Manifest last: a store that writes in order never shows a Manifest with holes. */
  objects: PlannedObject[];
  totalBytes: number;
}

export function bodySize(body: ObjectBody): number {
  return body.kind === 'bytes' ? body.data.length : body.size;
}

/** The Content-Type of a fragment (or init segment) of a stream of this type. */
export function fragmentContentType(type: StreamType): string {
  return type === 'video' ? 'video/mp4' : type === 'audio' ? 'audio/mp4' : 'application/mp4';
}
