import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { SampleEntry } from '../../src/bmff/stsd.js';
import { fragmentParts, readFragmentBody } from '../../src/fragments/fragmentParts.js';
import { initSegmentOf } from '../../src/plan/formatObjects.js';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import type { ContentKey } from '../../src/protect/model.js';

/** A DASH level of a fixture as the clear package has it: init segment and fragment bodies (tfdt added). */
export interface ClearLevel {
  label: string;
  kind: 'video' | 'audio' | 'text';
  sampleEntry: SampleEntry;
  init: Uint8Array;
  bodies: Uint8Array[];
}

export async function clearLevels(inputs: string[]): Promise<ClearLevel[]> {
  const dash = await loadPresentation(inputs, { formats: ['dash'] });
  const out: ClearLevel[] = [];
  for (const level of dash.levels) {
    const bytes = await readFile(level.track.file);
    const bodies: Uint8Array[] = [];
    for (const f of level.track.fragments) bodies.push(await readFragmentBody(fragmentParts(f), (offset, size) => Promise.resolve(bytes.subarray(offset, offset + size))));
    out.push({ label: `${level.streamName}_${level.bitrate}`, kind: level.track.kind, sampleEntry: level.track.sampleEntry, init: initSegmentOf(dash, level), bodies });
  }
  return out;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** A fixed test key (not a secret: tests only). */
export const TEST_KEY: ContentKey = {
  kid: Uint8Array.from(Buffer.from('0123456789abcdef0123456789abcdef', 'hex')),
  key: Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff', 'hex')),
};

/**
 * ffmpeg's framemd5 of a concatenated fMP4 given on a pipe (ffmpeg 5.1's mov demuxer
 * uses the wrong fragment's IVs when it can seek a concatenated file), decrypted with
 * `key` when given.
 */
export function framemd5(bytes: Uint8Array, key?: Uint8Array): { code: number | null; lines: string[]; stderr: string } {
  const args = ['-hide_banner', '-v', 'error'];
  if (key !== undefined) args.push('-decryption_key', hex(key));
  args.push('-i', 'pipe:0', '-map', '0', '-f', 'framemd5', '-');
  const r = spawnSync('ffmpeg', args, { input: bytes, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  const lines = r.stdout.toString().split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return { code: r.status, lines, stderr: r.stderr.toString() };
}

export function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
