import { readFile } from 'node:fs/promises';
import { ErrorCode, SmoothpubError } from '../errors.js';

/** `--list <file>` of publish and verify: one presentation a line; blank lines and lines starting with `#` are skipped. */
export async function readListFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `cannot read the --list file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path });
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new SmoothpubError(ErrorCode.BAD_OPTION, 'the --list file names no presentation', { file: path });
  return lines;
}

