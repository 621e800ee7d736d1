import { ErrorCode, SmoothpubError } from '../errors.js';
import type { ByteSource } from '../source/source.js';

/** Bytes of the `moof` that starts `fragment` (FragmentInfo: the moof alone). */
export async function moofSize(src: ByteSource, fragment: { offset: number; size: number }): Promise<number> {
  const head = await src.read(fragment.offset, 16);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const type = head.length >= 8 ? String.fromCharCode(...head.subarray(4, 8)) : '';
  let size = head.length >= 8 ? view.getUint32(0) : 0;
  if (size === 1 && head.length >= 16) size = Number(view.getBigUint64(8));
  if (type !== 'moof' || size < 8 || size > fragment.size) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, `expected a 'moof' of at most ${fragment.size} bytes, found '${type}' of ${size}`, { file: src.name, offset: fragment.offset });
  }
  return size;
}
