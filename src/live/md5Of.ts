import { createHash } from 'node:crypto';

/** MD5 of a body, sent as Content-MD5 so the store refuses a corrupted upload. */
export function md5Of(bytes: Uint8Array): Uint8Array {
  return createHash('md5').update(bytes).digest();
}
