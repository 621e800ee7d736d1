import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFiles } from '../../src/stores/folderStore.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import type { Presentation } from '../../src/smooth/model.js';
import { parseSmoothUrl } from '../../src/smooth/url.js';
import { childBoxes, readBoxHeader } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { UUID_TFRF } from '../../src/bmff/piff.js';
import { readTfrf } from '../../src/bmff/tfrf.js';
import { withTfrf, type FragmentTime } from '../../src/fragments/withTfrf.js';
import { runBin } from '../cli/runBin.js';
import { fixtures } from '../e2e/helpers.js';
import { ffmpegPushArgs, type PushOptions } from '../harness/livePush.js';

export const V400 = join(fixtures, 'clean', 'v400.ismv');
export const V250 = join(fixtures, 'clean', 'v250.ismv');
export const V120 = join(fixtures, 'clean', 'v120.ismv');
export const AUDIO = join(fixtures, 'clean', 'audio.isma');

/** A presentation's objects, `key` relative to its `.ism/` root. */
export type Objects = Map<string, Uint8Array>;

export async function folderObjects(root: string): Promise<Objects> {
  const out: Objects = new Map();
  for await (const key of listFiles(root)) out.set(key, new Uint8Array(await readFile(join(root, ...key.split('/')))));
  return out;
}

export async function manifestIn(root: string): Promise<Presentation | undefined> {
  try {
    return readManifest(await readFile(join(root, 'Manifest'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The reference: each push's ffmpeg command written to a file instead of the URL, and
 * `package` of those files. (ffmpeg numbers a push's moofs across its tracks, so a
 * fragment pushed is the source's only up to its mfhd sequence number: compare with the
 * same mux.)
 */
export async function packagedPushes(pushes: { inputs: string[]; options?: PushOptions }[]): Promise<Objects> {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-live-ref-'));
  try {
    const files = pushes.map((p, i) => {
      const file = join(dir, `push${i}.ismv`);
      const r = spawnSync('ffmpeg', ffmpegPushArgs(p.inputs, { ...p.options, realtime: false }, file), { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return file;
    });
    const out = join(dir, 'ref.ism');
    const r = await runBin(['package', ...files, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    return await folderObjects(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface FragmentName {
  bitrate: number;
  stream: string;
  time: bigint;
}

function fragmentsOf(objects: Objects): (FragmentName & { bytes: Uint8Array; key: string })[] {
  const out = [];
  for (const [key, bytes] of objects) {
    const u = parseSmoothUrl(key);
    if (u?.kind === 'fragment') out.push({ key, bitrate: u.bitrate, stream: u.streamName, time: u.time, bytes });
  }
  return out;
}

/** The entries of a fragment's `tfrf` (read with the project's box readers); undefined when it has none. */
export function tfrfEntries(fragment: Uint8Array): FragmentTime[] | undefined {
  const moof = readBoxHeader(new Cursor(fragment, 0, 'fragment'), fragment.length);
  assert.equal(moof.type, 'moof');
  const traf = [...childBoxes(new Cursor(fragment, 0, 'moof', 8, moof.size), 'moof')].find((b) => b.type === 'traf');
  assert.ok(traf, 'a traf');
  const box = [...childBoxes(traf.payload, 'traf')].find((b) => b.type === 'uuid' && b.uuid === UUID_TFRF);
  return box === undefined ? undefined : readTfrf(box.payload).entries.map((e) => ({ time: e.time, duration: e.duration }));
}

/**
 * Every ingested fragment is, byte for byte, the fragment `package` makes at the same stream
 * and time with a `tfrf` added (the live look-ahead), and that `tfrf` names the level's next
 * stored fragment (none: the level's last, or the last before its encoder stopped); all
 * fragments of one ingested level match one packaged level (the bitrates differ: ingest
 * names a level by the encoder's systemBitrate, package by what it measures). Returns the
 * number of fragments compared. `all`: every stored fragment, when `ingested` is a part.
 */
export function assertSameFragments(ingested: Objects, reference: Objects, all: Objects = ingested): number {
  const ours = fragmentsOf(ingested);
  const stored = fragmentsOf(all);
  const theirs = fragmentsOf(reference);
  assert.ok(ours.length > 0, 'no fragment ingested');
  const levelMatch = new Map<string, number>();
  for (const f of ours) {
    const entries = tfrfEntries(f.bytes);
    assert.ok(entries !== undefined && entries.length <= 1, `${f.key}: a tfrf of at most one entry, found ${JSON.stringify(entries?.length)}`);
    const later = stored.filter((o) => o.stream === f.stream && o.bitrate === f.bitrate && o.time > f.time).sort((a, b) => (a.time < b.time ? -1 : 1));
    if (entries.length === 1) assert.equal(entries[0]!.time, later[0]?.time, `${f.key}: its tfrf names the level's next stored fragment`);
    const same = theirs.filter((r) => r.stream === f.stream && r.time === f.time && Buffer.compare(withTfrf(r.bytes, entries), f.bytes) === 0);
    assert.ok(same.length > 0, `${f.key}: no packaged fragment of stream ${f.stream} at ${f.time} with this tfrf added has its ${f.bytes.length} bytes`);
    const level = `${f.stream}/${f.bitrate}`;
    const match = levelMatch.get(level);
    if (match === undefined) levelMatch.set(level, same[0]!.bitrate);
    else assert.ok(same.some((s) => s.bitrate === match), `${f.key}: from another packaged level than the level's other fragments`);
  }
  return ours.length;
}

/** Every chunk the Manifest lists is stored for each of `levelsHaving` of its levels (all by default) and for at least one. */
export function assertManifestStored(p: Presentation, objects: Objects, every = true): void {
  for (const s of p.streams) {
    for (const c of s.chunks) {
      const have = s.qualityLevels.filter((q) => objects.has(`QualityLevels(${q.bitrate})/Fragments(${s.name}=${c.t})`));
      assert.ok(have.length > 0, `the Manifest names ${s.name} t=${c.t}, which no level has in the store`);
      if (every) assert.equal(have.length, s.qualityLevels.length, `${s.name} t=${c.t} is stored for ${have.length} of ${s.qualityLevels.length} levels`);
    }
  }
}

/** ffprobe's count of the frames it decodes from `bytes` (an init segment and fragments). */
export function framesRead(bytes: Uint8Array): number {
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', '0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', '-i', 'pipe:0'], { input: bytes, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout.trim());
}

/** The `ftyp` and `moov` of a fragmented source: what a player needs before its fragments. */
export async function initOf(file: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(file));
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  let at = 0;
  while (at < bytes.length && String.fromCharCode(...bytes.subarray(at + 4, at + 8)) !== 'moof') at += view.getUint32(at);
  return bytes.subarray(0, at);
}
