/**
 * Runs `fn` over `items` with at most `concurrency` at once, in order of start. On the
 * first failure (or when `signal` aborts) no new item starts; every running one
 * settles before the failure is thrown, so callers can clean up safely.
 */
export async function runAll<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length && signal?.aborted !== true) {
      const index = next++;
      try {
        await fn(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure) throw failure.error;
  signal?.throwIfAborted();
}
