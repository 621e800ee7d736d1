import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { childBoxes, readBoxHeader, requireChild } from '../../src/bmff/box.js';
import { readSenc } from '../../src/bmff/senc.js';
import type { ProtectedFragment } from '../../src/protect/model.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readStsd, type SampleEntry } from '../../src/bmff/stsd.js';
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

/** An fMP4 cut into its init segment and moof+mdat bodies. */
export function splitFragmented(file: Uint8Array): { init: Uint8Array; entry: SampleEntry; bodies: Uint8Array[] } {
  const c = new Cursor(file);
  let init: Uint8Array | undefined;
  let entry: SampleEntry | undefined;
  let moofAt = -1;
  const bodies: Uint8Array[] = [];
  while (c.remaining > 0) {
    const h = readBoxHeader(c, file.length);
    const payload = c.sub(h.size - h.headerSize, h.type);
    if (h.type === 'moov') {
      init = file.subarray(0, h.offset + h.size);
      let box = payload;
      for (const [parent, type] of [['moov', 'trak'], ['trak', 'mdia'], ['mdia', 'minf'], ['minf', 'stbl'], ['stbl', 'stsd']] as const) box = requireChild(box, parent, type).payload;
      entry = readStsd(box).entries[0];
    } else if (h.type === 'moof') {
      moofAt = h.offset;
    } else if (h.type === 'mdat' && moofAt >= 0) {
      bodies.push(file.subarray(moofAt, h.offset + h.size));
      moofAt = -1;
    }
  }
  if (init === undefined || entry === undefined) throw new Error('no moov with a sample entry');
  return { init, entry, bodies };
}


export type Layout = string[];

/** Every sample's subsamples in the `senc` of each fragment, in order, as "clear/protected ..." strings. */
export function sencLayouts(segment: Uint8Array, ivSize: number): Layout {
  const out: Layout = [];
  const c = new Cursor(segment);
  while (c.remaining > 0) {
    const h = readBoxHeader(c, segment.length);
    const payload = c.sub(h.size - h.headerSize, h.type);
    if (h.type !== 'moof') continue;
    const traf = requireChild(payload, 'moof', 'traf');
    for (const b of childBoxes(traf.payload, 'traf')) {
      if (b.type !== 'senc') continue;
      for (const s of readSenc(b.payload, ivSize).samples) out.push((s.subsamples ?? []).map((x) => `${x.clear}/${x.protected}`).join(' '));
    }
  }
  return out;
}

/** The subsamples protectFragment gives each sample, in the same form as sencLayouts. */
export function ourLayouts(p: ProtectedFragment): Layout {
  const e = p.encryption;
  const out: Layout = [];
  let pair = 0;
  for (let i = 0; i < p.sampleCount; i++) {
    const subs: string[] = [];
    for (let k = 0; k < (e.subsampleCounts?.[i] ?? 0); k++, pair++) subs.push(`${e.subsamples![2 * pair]}/${e.subsamples![2 * pair + 1]}`);
    out.push(subs.join(' '));
  }
  return out;
}
