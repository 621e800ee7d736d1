// serve --key encrypts only the fragment asked: a fresh origin's first request for any
// fragment reads that fragment (and its moof) from the source and answers the bytes
// `package --key` wrote for it, whatever its place in the presentation; the MPD reads no
// fragment; the HLS playlists (bandwidths from every protected size) equal the packaged ones
// and read under half of the media (each fragment's head and a few bytes of each video sample).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMATS } from '../../src/formats/model.js';
import { createLocalRoot } from '../../src/origin/localRoot.js';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import type { OriginRoot } from '../../src/origin/originRoot.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import type { PresentationProtection } from '../../src/plan/protectionSettings.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import type { ByteSource } from '../../src/source/source.js';
import { get, listFiles, makeRoot, presentations, type Root } from './helpers.js';

const protection: PresentationProtection = {
  signal: { scheme: 'cenc' },
  keys: [{ key: { kid: Buffer.from('0123456789abcdef0123456789abcdef', 'hex'), key: Buffer.from('8f2a6c3b1d9e4f5a7b0c2d4e6f8a1b3c', 'hex') } }],
};

let root: Root;
let out: string;

before(async () => {
  root = await makeRoot();
  out = await mkdtemp(join(tmpdir(), 'smoothpub-protected-serve-'));
  for (const [name, p] of Object.entries({ clean: presentations.clean, progressive: presentations.progressive })) {
    await packagePresentation({ inputs: p.inputs(root.root), outDir: join(out, name), formats: [...FORMATS], protection });
  }
});

after(async () => {
  await root.cleanup();
  await rm(out, { recursive: true, force: true });
});

/** The local root, its serving reads (open(), not indexing) counted. */
function countingRoot(dir: string): { root: OriginRoot; read: () => number } {
  const inner = createLocalRoot(dir);
  let bytes = 0;
  const counted = (src: ByteSource): ByteSource => ({
    name: src.name,
    size: src.size,
    // No fd: every byte goes through read/readInto and is counted.
    read: async (offset, length) => {
      const b = await src.read(offset, length);
      bytes += b.length;
      return b;
    },
    close: () => src.close(),
  });
  const root: OriginRoot = {
    description: inner.description,
    recheckMs: inner.recheckMs,
    locate: (p) => inner.locate(p),
    readText: (id, max) => inner.readText(id, max),
    confine: (p) => inner.confine(p),
    stat: (id) => inner.stat(id),
    open: async (id, expected) => {
      const src = await inner.open(id, expected);
      return src && counted(src);
    },
    openForIndex: (id) => inner.openForIndex(id),
    readSidecar: (id, src, s) => inner.readSidecar(id, src, s),
    close: () => inner.close(),
  };
  return { root, read: () => bytes };
}

async function mediaBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await listFiles(dir)) if (/\.(ismv|isma|mp4)$/.test(f)) total += (await stat(join(dir, f))).size;
  return total;
}

for (const [name, p] of Object.entries({ clean: presentations.clean, progressive: presentations.progressive })) {
  test(`serve --key (${name}): a fresh origin's first request for a fragment reads that fragment only and answers the packaged bytes`, { timeout: 120_000 }, async () => {
    const packaged = join(out, name);
    const manifest = readManifest(await readFile(join(packaged, 'Manifest'), 'utf8'));
    const dir = join(root.root, p.path.split('/')[0]!);
    const media = await mediaBytes(dir);
    let checked = 0;
    let largest = 0;
    for (const s of manifest.streams) {
      for (const q of s.qualityLevels) {
        const n = s.chunks.length;
        for (const chunk of new Set([0, Math.floor(n / 2), n - 1])) {
          const key = formatFragmentUrl(s.url, q.bitrate, s.chunks[chunk]!.t);
          const expected = await readFile(join(packaged, key));
          // What a clear origin reads to send the same fragment, run by run.
          const clear = countingRoot(root.root);
          const clearOrigin = createOrigin({ root: clear.root });
          try {
            assert.equal((await get(clearOrigin, `/${p.path}/${key}`)).status, 200, key);
          } finally {
            await clearOrigin.close();
          }
          const counting = countingRoot(root.root);
          const origin = createOrigin({ root: counting.root, protection });
          try {
            const r = await get(origin, `/${p.path}/${key}`);
            assert.equal(r.status, 200, key);
            assert.ok(Buffer.from(r.body).equals(expected), `${name} ${key}: the packaged bytes`);
            // Those bytes (an interleaved plain MP4's runs read as their one span, the other
            // track's samples between them included), and the moof again for its tfdt: never
            // the rest of the presentation.
            assert.ok(counting.read() <= 3 * clear.read() + 4096, `${name} ${key}: ${counting.read()} bytes read (a clear origin: ${clear.read()}) for a ${expected.length}-byte fragment (media: ${media} bytes)`);
            largest = Math.max(largest, counting.read());
          } finally {
            await origin.close();
          }
          checked++;
        }
      }
    }
    assert.ok(checked >= 8, `${checked} fragments checked`);
    assert.ok(largest < media / 4, `${name}: at most ${largest} bytes read for one fragment, of ${media}`);
  });

  test(`serve --key (${name}): the MPD reads no fragment; the HLS playlists equal the packaged ones, reading a fraction of the media`, { timeout: 120_000 }, async () => {
    const packaged = join(out, name);
    const dir = join(root.root, p.path.split('/')[0]!);
    const media = await mediaBytes(dir);
    const counting = countingRoot(root.root);
    const origin = createOrigin({ root: counting.root, protection });
    try {
      const mpd = await get(origin, `/${p.path}/manifest.mpd`);
      assert.equal(mpd.status, 200);
      assert.ok(Buffer.from(mpd.body).equals(await readFile(join(packaged, 'manifest.mpd'))), `${name}: the packaged MPD`);
      assert.ok(counting.read() < media / 4, `${name}: ${counting.read()} of ${media} bytes read for the MPD`);
      const playlists = (await listFiles(packaged)).filter((f) => f.endsWith('.m3u8'));
      assert.ok(playlists.length >= 3, playlists.join());
      const beforePlaylists = counting.read();
      for (const key of playlists) {
        const r = await get(origin, `/${p.path}/${key}`);
        assert.equal(r.status, 200, key);
        assert.ok(Buffer.from(r.body).equals(await readFile(join(packaged, key))), `${name} ${key}: the packaged playlist`);
      }
      // Their bandwidths need every protected fragment's size: measured from the heads and a
      // few bytes of each video sample (the fixtures' samples are small: a few hundred bytes
      // to a few KiB, so this is a large share of them; of a 2 Mbit/s level's, about 1%).
      const forPlaylists = counting.read() - beforePlaylists;
      assert.ok(forPlaylists > 0 && forPlaylists < media / 2, `${name}: ${forPlaylists} of ${media} bytes read for the playlists`);
    } finally {
      await origin.close();
    }
  });
}
