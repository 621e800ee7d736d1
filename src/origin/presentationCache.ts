interface Entry<T> {
  loading: Promise<T | undefined>;
  value?: T;
}

/**
 * A bounded map of loads by key, least recently used evicted first. Concurrent gets of
 * one key share one in-flight load; a failed load or an undefined result is not kept,
 * so the next request tries again.
 */
export class PresentationCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #max: number;
  readonly #load: (key: string) => Promise<T | undefined>;

  constructor(max: number, load: (key: string) => Promise<T | undefined>) {
    if (!(Number.isSafeInteger(max) && max >= 1)) throw new RangeError(`cache size must be a positive integer, got ${max}`);
    this.#max = max;
    this.#load = load;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Promise<T | undefined> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      // Re-insert: a Map keeps insertion order, so its first key is the least recently used.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.loading;
    }
    const entry: Entry<T> = { loading: this.#load(key) };
    this.#entries.set(key, entry);
    entry.loading.then(
      (value) => {
        if (value === undefined) this.#forget(key, entry);
        else entry.value = value;
      },
      () => this.#forget(key, entry),
    );
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    return entry.loading;
  }

  /** The loaded value of `key` now, without loading (undefined while loading or absent); counts as a use. */
  current(key: string): T | undefined {
    const hit = this.#entries.get(key);
    if (hit?.value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit.value;
  }

  /** Drops `key` if it still holds `value`, so the next get loads afresh (a newer load is kept). */
  invalidate(key: string, value: T): void {
    const entry = this.#entries.get(key);
    if (entry?.value === value) this.#entries.delete(key);
  }

  #forget(key: string, entry: Entry<T>): void {
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
  }
}
