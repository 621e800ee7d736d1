// Sidecar indexes: compact, exact, bound to the source; the origin's cold start uses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fragmentParts, readFragmentBody } from '../../src/fragments/fragmentParts.js';
import { indexFile } from '../../src/fragments/indexFile.js';
import { readSidecar, sidecarPath, writeSidecar } from '../../src/fragments/sidecar.js';
import { encodeSidecar, SIDECAR_VERSION } from '../../src/fragments/sidecarFormat.js';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import { openFileSource } from '../../src/source/fileSource.js';
import { fixtures, get, makeRoot } from './helpers.js';

// opengop/v200.ismv: ffmpeg's open-GOP tfxd, which disagrees with the samples, is kept too.
// protected/: an encrypted track's scheme, KID and DRM headers (pssh, PIFF) are kept too.
const sources = ['clean/v400.ismv', 'clean/audio.isma', 'users/v250.ismv', 'multitrack.ismv', 'cmaf/video.mp4', 'cmaf/audio.mp4', 'opengop/v200.ismv', 'protected/cbcs/video.mp4', 'protected/piff/audio.isma'];

test('a sidecar reads back as the very index of its source, and is compact', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  for (const name of sources) {
    const file = join(r.base, name.replaceAll('/', '_'));
    await writeFile(file, await readFile(join(fixtures, name)));
    const ix = await indexFile(file);
    const written = await writeSidecar(ix);
    assert.equal(written, sidecarPath(file));
    const src = await openFileSource(file);
    try {
      assert.deepEqual(await readSidecar(file, src), ix, name);
    } finally {
      await src.close();
    }
    const fragments = ix.tracks.reduce((n, tr) => n + tr.fragments.length, 0);
    const bytes = (await stat(written)).size;
    // DRM headers are stored whole (base64): hundreds of bytes each.
    const headers = ix.tracks.reduce((n, tr) => n + (tr.protection?.systems.reduce((m, x) => m + x.data.length, 0) ?? 0), 0);
    assert.ok(bytes < 600 * ix.tracks.length + 40 * fragments + 2 * headers, `${name}: ${bytes} bytes for ${fragments} fragments`);
  }
});

test('a missing, stale, corrupt or other-version sidecar is not used', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const file = join(r.root, 'clean', 'v120.ismv');
  const ix = await indexFile(file);
  const read = async (): Promise<unknown> => {
    const src = await openFileSource(file);
    try {
      return await readSidecar(file, src);
    } finally {
      await src.close();
    }
  };
  assert.equal(await read(), undefined, 'missing');
  await writeSidecar(ix);
  assert.ok(await read());
  const text = encodeSidecar(ix);
  for (const [what, bad] of [
    ['truncated', text.slice(0, text.length / 2)],
    ['other version', text.replace(`"version":${SIDECAR_VERSION}`, `"version":${SIDECAR_VERSION + 1}`)],
    // Version 1 did not record fragments joined at non-sync starts: such a sidecar would disagree with indexing.
    ['version 1', text.replace(`"version":${SIDECAR_VERSION}`, '"version":1')],
    ['wrong field type', text.replace('"t0":"0"', '"t0":0')],
    ['fragment beyond the file', text.replace(/"size":\[\d+/, '"size":[999999999')],
    ['not JSON', '\u0000\u0001'],
  ] as const) {
    assert.notEqual(bad, text, what);
    await writeFile(sidecarPath(file), bad);
    assert.equal(await read(), undefined, what);
  }
  await writeSidecar(ix);
  const { mtime } = await stat(file);
  await utimes(file, mtime, new Date(mtime.getTime() + 5000));
  assert.equal(await read(), undefined, 'source touched');
});

test('cold start with and without sidecars; a stale sidecar is rebuilt, never used', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const fragment = '/clean/clean.ism/QualityLevels(400000)/Fragments(video=20000000)';
  const start = (writeSidecars: boolean): { origin: ReturnType<typeof createOrigin>; via: string[] } => {
    const via: string[] = [];
    return { origin: createOrigin({ root: r.root, writeSidecars, onIndexed: (_f, how) => via.push(how) }), via };
  };

  const cold = start(true);
  const expected = await get(cold.origin, fragment);
  assert.deepEqual(cold.via, ['index', 'index', 'index', 'index'], 'no sidecars yet: indexed');
  const warm = start(false);
  const viaSidecar = await get(warm.origin, fragment);
  assert.deepEqual(warm.via, ['sidecar', 'sidecar', 'sidecar', 'sidecar'], 'sidecars written by the first origin are used');
  assert.deepEqual(viaSidecar.body, expected.body);
  assert.deepEqual((await get(warm.origin, '/clean/clean.ism/Manifest')).body, (await get(cold.origin, '/clean/clean.ism/Manifest')).body);

  // Change a source: same bytes plus a trailing free box, so its size and mtime differ.
  const v400 = join(r.root, 'clean', 'v400.ismv');
  await appendFile(v400, Uint8Array.of(0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65));
  const restarted = start(true);
  assert.deepEqual((await get(restarted.origin, fragment)).body, expected.body);
  assert.deepEqual(restarted.via.sort(), ['index', 'sidecar', 'sidecar', 'sidecar'], 'the stale sidecar is ignored');
  const again = start(false);
  await get(again.origin, fragment);
  assert.deepEqual(again.via, ['sidecar', 'sidecar', 'sidecar', 'sidecar'], 'and rewritten');

  // A running origin notices too, on the next fragment of that source.
  await appendFile(v400, Uint8Array.of(0, 0, 0, 8, 0x66, 0x72, 0x65, 0x65));
  const res = await get(again.origin, fragment);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, expected.body);
  assert.deepEqual(again.via.slice(4), ['index', 'sidecar', 'sidecar', 'sidecar'], 're-indexed in place');
});

test('a source replaced by different media is re-indexed before a fragment is served', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const origin = createOrigin({ root: r.root });
  const before = await get(origin, '/clean/clean.ism/QualityLevels(400000)/Fragments(video=0)');
  assert.equal(before.status, 200);
  // v400 now holds v120's bytes: a stale index would cut the wrong range out of it.
  await writeFile(join(r.root, 'clean', 'v400.ismv'), await readFile(join(r.root, 'clean', 'v120.ismv')));
  const after = await get(origin, '/clean/clean.ism/QualityLevels(400000)/Fragments(video=0)');
  const v120 = await get(origin, '/clean/clean.ism/QualityLevels(120000)/Fragments(video=0)');
  assert.equal(after.status, 200);
  assert.deepEqual(after.body, v120.body);
  const manifest = new TextDecoder().decode((await get(origin, '/clean/clean.ism/Manifest')).body);
  assert.match(manifest, /Bitrate="400000"/, 'the .ism still names it 400000');
});

test('a sidecar keeps fragments joined at non-sync starts (ismlmux): the same bodies, times and notes', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const file = join(r.base, 'ismlmux.ismv');
  await writeFile(file, await readFile(join(fixtures, 'othertools', 'ismlmux.ismv')));
  const ix = await indexFile(file);
  await writeSidecar(ix);
  const src = await openFileSource(file);
  try {
    const back = await readSidecar(file, src);
    assert.ok(back, 'the sidecar is used');
    const bytes = await readFile(file);
    const read = async (offset: number, size: number): Promise<Uint8Array> => bytes.subarray(offset, offset + size);
    const shown = async (tracks: typeof ix.tracks): Promise<unknown> =>
      Promise.all(
        tracks.map(async (tr) => ({
          nonSyncStarts: tr.nonSyncStarts,
          fragments: await Promise.all(tr.fragments.map(async (f) => ({ offset: f.offset, size: f.size, time: f.time, duration: f.duration, built: f.built !== undefined, body: Buffer.from(await readFragmentBody(fragmentParts(f), read)).toString('base64') }))),
        })),
      );
    const expected = await shown(ix.tracks);
    assert.deepEqual(await shown(back.tracks), expected);
    assert.equal(ix.tracks.filter((tr) => tr.nonSyncStarts?.length === 3).length, 2, 'both video tracks had fragments joined');
  } finally {
    await src.close();
  }
});
