import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, fullBox } from './writer.js';

/**
 * SampleDependencyTypeBox (ISO/IEC 14496-12 8.6.4): one byte a sample (is_leading,
 * depends_on, is_depended_on, has_redundancy); the sample count is the run's, not stored.
 */
export interface Sdtp {
  type: 'sdtp';
  entries: Uint8Array;
}

export function readSdtp(c: Cursor): Sdtp {
  readFullBoxHeader(c);
  return { type: 'sdtp', entries: c.bytesOf(c.remaining) };
}

export function writeSdtp(box: BoxInput<Sdtp>): Uint8Array {
  return fullBox('sdtp', 0, 0, box.entries);
}
