import type { ByteSource } from '../source/source.js';

/**
 * Bytes read from a source per pull. With no read-ahead (highWaterMark 0) a response
 * holds at most one of these besides what the socket buffers. Measured (bench:origin,
 * ~300 KB fragments): 64 KiB 1,160 req/s, 256 KiB 1,870, 1 MiB 2,120: the cost is per read.
 */
export const DEFAULT_READ_CHUNK = 1024 * 1024;

/**
 * `[offset, offset + length)` of `src` as a stream that reads only when the consumer
 * pulls (backpressure), one bounded chunk at a time. The source is closed when the
 * stream ends, errors or is cancelled (client gone): the stream owns it.
 */
export function sourceStream(src: ByteSource, offset: number, length: number, chunk = DEFAULT_READ_CHUNK): ReadableStream<Uint8Array> {
  let pos = offset;
  const end = offset + length;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await src.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const bytes = await src.read(pos, Math.min(chunk, end - pos));
          if (bytes.length === 0) throw new Error(`${src.name} ended at byte ${pos}, expected ${end}`);
          pos += bytes.length;
          controller.enqueue(bytes);
          if (pos >= end) {
            await close();
            controller.close();
          }
        } catch (e) {
          await close().catch(() => undefined);
          controller.error(e);
        }
      },
      cancel: close,
    },
    { highWaterMark: 0 },
  );
}
