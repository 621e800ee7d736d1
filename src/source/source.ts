/** Random-access bytes: a local file today, an HTTP range reader later. */
export interface ByteSource {
  /** Name used in messages: a path or URL, never with credentials. */
  readonly name: string;
  readonly size: number;
  /** A local file's open descriptor, for zero-copy sends; absent for other sources. */
  readonly fd?: number;
  /** Reads exactly `length` bytes at `offset` (fewer only at the end of the source). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Reads `into.length` bytes at `offset` into `into` (fewer only at the end of the source),
   * returning how many. Optional: lets a reader of many large pieces reuse one buffer.
   */
  readInto?(offset: number, into: Uint8Array): Promise<number>;
  close(): Promise<void>;
}
