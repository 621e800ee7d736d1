import { encryptPayload } from '../protect/encryptPayload.js';
import { readFragmentBody, type FragmentPart } from './fragmentParts.js';
import type { BuiltFragment } from './types.js';

/**
 * A fragment's body as a client gets it, in memory: its parts read (readFragmentBody)
 * and, for a protected fragment, the payload after the head encrypted in place. Short
 * when the source ended early: callers check the length.
 */
export async function readFragmentBytes(parts: FragmentPart[], built: BuiltFragment | undefined, read: (offset: number, size: number) => Promise<Uint8Array>): Promise<Uint8Array> {
  const body = await readFragmentBody(parts, read);
  const encryption = built?.encryption;
  if (encryption) {
    const head = parts[0] instanceof Uint8Array ? parts[0].length : 0;
    // readFragmentBody returns a source's own buffer only for one run alone; a protected body always starts with its head, so this is a fresh copy.
    encryptPayload(body.subarray(head), encryption);
  }
  return body;
}
