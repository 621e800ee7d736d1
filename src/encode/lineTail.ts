/** Keeps the last `max` non-empty lines of a text stream (ffmpeg's last words on failure). */
export function createLineTail(max: number): { push(chunk: string): void; lines(): string[] } {
  const kept: string[] = [];
  let partial = '';
  return {
    push(chunk) {
      const parts = (partial + chunk).split(/\r?\n|\r/);
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (line.trim() === '') continue;
        kept.push(line.trimEnd());
        if (kept.length > max) kept.shift();
      }
      // A line longer than any sane message: keep its end only, memory stays bounded.
      if (partial.length > 4096) partial = partial.slice(-4096);
    },
    lines() {
      const last = partial.trim() === '' ? [] : [partial.trimEnd()];
      return [...kept, ...last].slice(-max);
    },
  };
}
