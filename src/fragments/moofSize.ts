import { ErrorCode, SmoothpubError } from '../errors.js';

/**
 * Bytes of the `moof` that starts a fragment of `fragmentSize` bytes (FragmentInfo: the
 * moof alone), from the fragment's first 16 bytes; `where` names it in an error.
 */
export function moofSize(head: Uint8Array, fragmentSize: number, where: { file: string; offset: number }): number {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const type = head.length >= 8 ? String.fromCharCode(...head.subarray(4, 8)) : '';
  let size = head.length >= 8 ? view.getUint32(0) : 0;
  if (size === 1 && head.length >= 16) size = Number(view.getBigUint64(8));
  if (type !== 'moof' || size < 8 || size > fragmentSize) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `expected a 'moof' of at most ${fragmentSize} bytes, found '${type}' of ${size}`, where);
  }
  return size;
}
