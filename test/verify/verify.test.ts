import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifestUrl, redactUrl } from '../../src/verify/manifestUrl.js';
import { verifyPresentation, type VerifyReport } from '../../src/verify/verifyPresentation.js';
import { key, packageAndServe, sets, startFaultyProxy, type Served } from './helpers.js';

// Fast retries: the retry path is exercised, the suite stays quick.
const quick = { retryDelayMs: 5 };

async function withServed(inputs: string[], run: (s: Served) => Promise<void>, opts: { policy?: boolean; mount?: string } = {}): Promise<void> {
  const s = await packageAndServe(inputs, opts);
  try {
    await run(s);
  } finally {
    await s.close();
  }
}

function codesByUrl(r: VerifyReport): string[] {
  return r.problems.map((p) => `${p.code} ${p.url}`);
}

for (const [name, inputs, streams, fragments] of [
  ['clean (file list)', sets.clean, 2, 16],
  ['clean.ism', sets.cleanIsm, 2, 16],
  ['users.ism (B-frames, AAC priming: first audio tfxd -213333 announced as t=0)', sets.usersIsm, 2, 16],
  ['multitrack.ismv (two video tracks, two audio languages, priming)', sets.multitrack, 3, 16],
  ['cmaf/ (tfdt, no tfxd; timescales 12288 and 48000, moofs rebuilt at 10 MHz)', sets.cmaf, 2, 9],
  ['ismlmux.ismv (GStreamer: 1-frame fragments at non-sync samples, joined to the ones before)', sets.ismlmux, 2, 2 * 4 + 5],
] as const) {
  test(`an intact presentation verifies: ${name}`, () =>
    withServed([...inputs], async (s) => {
      const progress: number[] = [];
      const r = await verifyPresentation(s.manifestUrl, { onProgress: (p) => progress.push(p.checked) });
      assert.deepEqual(r.problems, []);
      assert.equal(r.ok, true);
      assert.equal(r.streams, streams);
      assert.equal(r.fragments, fragments);
      assert.ok(r.bytes > 100_000);
      assert.equal(r.manifestUrl, s.manifestUrl);
      assert.equal(progress.at(-1), fragments);
      const fragmentRequests = s.server.requests.filter((q) => q.path.includes('/Fragments('));
      assert.equal(fragmentRequests.length, fragments, 'each fragment fetched once');
    }));
}

test('connections are kept alive and reused (not one per request)', async () => {
  const s = await packageAndServe(sets.usersIsm);
  const proxy = await startFaultyProxy(s.server.url, () => 'pass');
  try {
    const r = await verifyPresentation(`${proxy.url}video.ism/Manifest`, { concurrency: 3 });
    assert.equal(r.ok, true);
    assert.equal([...proxy.hits.values()].reduce((a, b) => a + b, 0), 17);
    // undici returns a socket to its pool a tick after the body ends, so a worker may open another.
    assert.ok(proxy.connections() <= 6, `${proxy.connections()} connections for 17 requests`);
  } finally {
    await proxy.close();
    await s.close();
  }
});

test('a deleted fragment: verify.http-status naming its URL, nothing else', () =>
  withServed(sets.cleanIsm, async (s) => {
    const k = key(s, 'video', 1, 2);
    await rm(join(s.dir, k));
    const r = await verifyPresentation(s.manifestUrl);
    assert.equal(r.ok, false);
    assert.deepEqual(codesByUrl(r), [`verify.http-status ${s.url(k)}`]);
    assert.match(r.problems[0]!.message, /expected HTTP 200, found 404/);
    assert.equal(r.fragments, 16);
  }));

test('a truncated fragment (cut in the mdat, or inside the moof): verify.truncated', () =>
  withServed(sets.usersIsm, async (s) => {
    const inMdat = key(s, 'video', 0, 1);
    const inMoof = key(s, 'audio', 0, 0);
    await truncate(join(s.dir, inMdat), 50_000);
    await truncate(join(s.dir, inMoof), 100);
    const r = await verifyPresentation(s.manifestUrl);
    assert.deepEqual(codesByUrl(r).sort(), [`verify.truncated ${s.url(inMdat)}`, `verify.truncated ${s.url(inMoof)}`].sort());
    assert.match(r.problems.find((p) => p.url === s.url(inMdat))!.message, /short of the mdat's end/);
    assert.match(r.problems.find((p) => p.url === s.url(inMoof))!.message, /inside the \d+-byte moof/);
  }));

test('a body cut off by the server (shorter than its Content-Length, every attempt): verify.truncated', async () => {
  const s = await packageAndServe(sets.cleanIsm);
  const k = key(s, 'video', 2, 3);
  const proxy = await startFaultyProxy(s.server.url, (path) => (path.endsWith(k) ? 'short' : 'pass'));
  try {
    const r = await verifyPresentation(`${proxy.url}video.ism/Manifest`, { ...quick, retries: 2 });
    assert.deepEqual(codesByUrl(r), [`verify.truncated ${proxy.url}video.ism/${k}`]);
    assert.match(r.problems[0]!.message, /after \d+ of \d+ bytes/);
    assert.equal(proxy.hits.get(`/video.ism/${encodeURI(k)}`) ?? proxy.hits.get(`/video.ism/${k}`), 3, 'tried 1 + 2 retries');
  } finally {
    await proxy.close();
    await s.close();
  }
});

test('a body that stalls halfway: verify.network after the idle timeout, not a hang', async () => {
  const s = await packageAndServe(sets.cleanIsm);
  const k = key(s, 'audio', 0, 1);
  const proxy = await startFaultyProxy(s.server.url, (path) => (path.endsWith(k) ? 'stall' : 'pass'));
  try {
    // Long enough that a loaded machine's healthy fragments never reach it (300 ms once did).
    const r = await verifyPresentation(`${proxy.url}video.ism/Manifest`, { ...quick, retries: 1, timeoutMs: 2000 });
    assert.deepEqual(codesByUrl(r), [`verify.network ${proxy.url}video.ism/${k}`]);
    assert.match(r.problems[0]!.message, /body stalled \(no data for 2000 ms\) after \d+ of \d+ bytes/);
  } finally {
    await proxy.close();
    await s.close();
  }
});

test('two fragments of one level swapped: verify.time-mismatch on both URLs', () =>
  withServed(sets.cleanIsm, async (s) => {
    const a = join(s.dir, key(s, 'video', 0, 1));
    const b = join(s.dir, key(s, 'video', 0, 3));
    await rename(a, `${a}.tmp`);
    await rename(b, a);
    await rename(`${a}.tmp`, b);
    const r = await verifyPresentation(s.manifestUrl);
    assert.deepEqual(codesByUrl(r), [`verify.time-mismatch ${s.url(key(s, 'video', 0, 1))}`, `verify.time-mismatch ${s.url(key(s, 'video', 0, 3))}`]);
    assert.match(r.problems[0]!.message, /fragment starts at 60000000, URL says 20000000/);
  }));

test('two fragments swapped in a tfdt-only (CMAF) presentation: caught by tfdt', () =>
  withServed(sets.cmaf, async (s) => {
    const a = join(s.dir, key(s, 'video', 0, 0));
    const b = join(s.dir, key(s, 'video', 0, 1));
    await rename(a, `${a}.tmp`);
    await rename(b, a);
    await rename(`${a}.tmp`, b);
    const r = await verifyPresentation(s.manifestUrl);
    assert.deepEqual(new Set(r.problems.map((p) => p.url)), new Set([s.url(key(s, 'video', 0, 0)), s.url(key(s, 'video', 0, 1))]));
    assert.ok(r.problems.some((p) => p.code === 'verify.time-mismatch'));
  }));

test('audio fragments swapped in the priming presentation: times and durations both caught', () =>
  withServed(sets.usersIsm, async (s) => {
    const a = join(s.dir, key(s, 'audio', 0, 0));
    const b = join(s.dir, key(s, 'audio', 0, 2));
    const bytesA = await readFile(a);
    await writeFile(a, await readFile(b));
    await writeFile(b, bytesA);
    const r = await verifyPresentation(s.manifestUrl);
    const urls = new Set(r.problems.map((p) => p.url));
    assert.deepEqual([...urls], [s.url(key(s, 'audio', 0, 0)), s.url(key(s, 'audio', 0, 2))]);
    // The priming fragment at t=2 s claims -213333: a negative time is only excused on the first chunk.
    assert.ok(r.problems.some((p) => p.code === 'verify.time-mismatch' && /starts at -213333, URL says 39253333/.test(p.message)));
    assert.ok(r.problems.some((p) => p.code === 'verify.time-mismatch' && /starts at 39253333, URL says 0/.test(p.message)));
  }));

test('a fragment replaced by the same time of another level: caught when the track IDs differ (multitrack)', () =>
  withServed(sets.multitrack, async (s) => {
    const target = key(s, 'video', 0, 2);
    await writeFile(join(s.dir, target), await readFile(join(s.dir, key(s, 'video', 1, 2))));
    const r = await verifyPresentation(s.manifestUrl);
    assert.deepEqual(codesByUrl(r), [`verify.track-mismatch ${s.url(target)}`]);
    assert.match(r.problems[0]!.message, /carries track 2, while 3 of the 4 fragments of QualityLevels\(\d+\) in stream 'video' carry track 1/);
  }));

test('a fragment replaced by the same time of another level with the same track ID is NOT caught (known limit)', () =>
  withServed(sets.cleanIsm, async (s) => {
    // Every clean level is track 1 with the same timeline; only decoding the pictures
    // (resolution from the slices) would tell 256x144 from 320x180.
    await writeFile(join(s.dir, key(s, 'video', 0, 2)), await readFile(join(s.dir, key(s, 'video', 1, 2))));
    const r = await verifyPresentation(s.manifestUrl);
    assert.equal(r.ok, true);
  }));

test('a video fragment served at an audio URL: caught by time or duration', () =>
  withServed(sets.cleanIsm, async (s) => {
    const target = key(s, 'audio', 0, 1);
    await writeFile(join(s.dir, target), await readFile(join(s.dir, key(s, 'video', 0, 1))));
    const r = await verifyPresentation(s.manifestUrl);
    assert.ok(r.problems.length > 0);
    assert.ok(r.problems.every((p) => p.url === s.url(target)));
  }));

test('something that is not moof+mdat at a fragment URL: verify.not-fragment', () =>
  withServed(sets.cleanIsm, async (s) => {
    const asText = key(s, 'video', 0, 0);
    const extra = key(s, 'video', 1, 0);
    await writeFile(join(s.dir, asText), '<html>not found</html>');
    const withExtra = await readFile(join(s.dir, extra));
    await writeFile(join(s.dir, extra), Buffer.concat([withExtra, Buffer.alloc(100)]));
    const r = await verifyPresentation(s.manifestUrl);
    assert.deepEqual(codesByUrl(r), [`verify.not-fragment ${s.url(asText)}`, `verify.not-fragment ${s.url(extra)}`]);
    assert.match(r.problems[1]!.message, /100 unexpected bytes after the mdat/);
  }));

test('every bad URL is listed, in Manifest order, not just the first', () =>
  withServed(sets.usersIsm, async (s) => {
    const deleted = [key(s, 'video', 0, 0), key(s, 'video', 2, 3), key(s, 'audio', 0, 3)];
    for (const k of deleted) await rm(join(s.dir, k));
    const truncated = key(s, 'video', 1, 1);
    await truncate(join(s.dir, truncated), 1000);
    const r = await verifyPresentation(s.manifestUrl, { concurrency: 3 });
    assert.deepEqual(codesByUrl(r), [
      `verify.http-status ${s.url(deleted[0]!)}`,
      `verify.truncated ${s.url(truncated)}`,
      `verify.http-status ${s.url(deleted[1]!)}`,
      `verify.http-status ${s.url(deleted[2]!)}`,
    ]);
  }));

test('a corrupt or missing Manifest: verify.manifest, reported, not thrown', () =>
  withServed(sets.cleanIsm, async (s) => {
    const manifest = join(s.dir, 'Manifest');
    const xml = await readFile(manifest, 'utf8');
    await writeFile(manifest, xml.slice(0, xml.length >> 1));
    let r = await verifyPresentation(s.manifestUrl);
    assert.equal(r.ok, false);
    assert.deepEqual(codesByUrl(r), [`verify.manifest ${s.manifestUrl}`]);
    assert.equal(r.fragments, 0);
    await writeFile(manifest, '<SmoothStreamingMedia MajorVersion="2"><StreamIndex Type="video" Url="Fragments({start time})"><QualityLevel Bitrate="1"/><c t="0" d="1"/></StreamIndex></SmoothStreamingMedia>');
    r = await verifyPresentation(s.manifestUrl);
    assert.deepEqual(codesByUrl(r), [`verify.manifest ${s.manifestUrl}`]);
    assert.match(r.problems[0]!.message, /\{bitrate\}/);
    await rm(manifest);
    r = await verifyPresentation(s.manifestUrl);
    assert.deepEqual(codesByUrl(r), [`verify.manifest ${s.manifestUrl}`]);
    assert.match(r.problems[0]!.message, /found 404/);
  }));

test('nothing listening: verify.manifest after retries, not thrown', async () => {
  const s = await packageAndServe(sets.cleanIsm);
  await s.close();
  const r = await verifyPresentation(s.manifestUrl, { ...quick, retries: 1 });
  assert.deepEqual(codesByUrl(r), [`verify.manifest ${s.manifestUrl}`]);
  assert.match(r.problems[0]!.message, /cannot fetch the Manifest: request failed/);
});

test('a fragment answering 500 on every attempt is reported after retries; transient 500s and drops are retried away', async () => {
  const s = await packageAndServe(sets.cleanIsm);
  const broken = key(s, 'video', 1, 1);
  const flaky = key(s, 'audio', 0, 2);
  const dropped = key(s, 'video', 2, 0);
  const proxy = await startFaultyProxy(s.server.url, (path, attempt) => {
    if (path.endsWith(broken)) return 'status500';
    if (path.endsWith(flaky) && attempt <= 2) return 'status500';
    if (path.endsWith(dropped) && attempt === 1) return 'drop';
    return 'pass';
  });
  try {
    const r = await verifyPresentation(`${proxy.url}video.ism/Manifest`, { ...quick, retries: 3 });
    assert.deepEqual(codesByUrl(r), [`verify.http-status ${proxy.url}video.ism/${broken}`]);
    assert.match(r.problems[0]!.message, /found 500/);
    const hits = (k: string): number | undefined => [...proxy.hits].find(([p]) => decodeURIComponent(p).endsWith(k))?.[1];
    assert.equal(hits(broken), 4);
    assert.equal(hits(flaky), 3);
    assert.equal(hits(dropped), 2);
  } finally {
    await proxy.close();
    await s.close();
  }
});

test('a fragment whose connection always drops: verify.network', async () => {
  const s = await packageAndServe(sets.cleanIsm);
  const k = key(s, 'video', 0, 3);
  const proxy = await startFaultyProxy(s.server.url, (path) => (path.endsWith(k) ? 'drop' : 'pass'));
  try {
    const r = await verifyPresentation(`${proxy.url}video.ism/Manifest`, { ...quick, retries: 1 });
    assert.deepEqual(codesByUrl(r), [`verify.network ${proxy.url}video.ism/${k}`]);
  } finally {
    await proxy.close();
    await s.close();
  }
});

test('--policy: missing policy files at the host root are problems; present ones pass', async () => {
  // Served at /video.ism/: the files package --policy wrote sit next to the Manifest, not at the root.
  await withServed(sets.cleanIsm, async (s) => {
    const r = await verifyPresentation(s.manifestUrl, { checkPolicy: true });
    assert.deepEqual(codesByUrl(r), [`verify.policy ${s.server.url}clientaccesspolicy.xml`, `verify.policy ${s.server.url}crossdomain.xml`]);
    assert.match(r.problems[0]!.message, /found HTTP 404; a copy is next to the Manifest/);
    assert.equal((await verifyPresentation(s.manifestUrl)).ok, true, 'not checked without checkPolicy');
  }, { policy: true });
  // Served at the root: they are where Silverlight and Flash look.
  await withServed(sets.cleanIsm, async (s) => {
    assert.equal(s.manifestUrl, `${s.server.url}Manifest`);
    const r = await verifyPresentation(s.manifestUrl, { checkPolicy: true });
    assert.deepEqual(r.problems, []);
  }, { policy: true, mount: '/' });
  // At the root but without them.
  await withServed(sets.cleanIsm, async (s) => {
    const r = await verifyPresentation(s.manifestUrl, { checkPolicy: true });
    assert.equal(r.problems.length, 2);
    assert.ok(r.problems.every((p) => p.code === 'verify.policy' && !p.message.includes('next to the Manifest')));
  }, { mount: '/' });
});

test('--origin: CORS must allow the origin on the Manifest and every fragment', async () => {
  const s = await packageAndServe(sets.cleanIsm);
  const proxy = await startFaultyProxy(s.server.url, () => 'pass', { stripCors: true });
  try {
    const ok = await verifyPresentation(s.manifestUrl, { origin: 'https://player.example' });
    assert.deepEqual(ok.problems, [], 'the static server allows *');
    const r = await verifyPresentation(`${proxy.url}video.ism/Manifest`, { origin: 'https://player.example' });
    assert.equal(r.problems.length, 17);
    assert.ok(r.problems.every((p) => p.code === 'verify.cors'));
    assert.match(r.problems[0]!.message, /expected Access-Control-Allow-Origin https:\/\/player\.example or \*, found none/);
    assert.equal((await verifyPresentation(`${proxy.url}video.ism/Manifest`)).ok, true, 'not checked without origin');
  } finally {
    await proxy.close();
    await s.close();
  }
});

test('the Manifest URL must end in /Manifest; its query is sent along and secrets in it are never printed', async () => {
  await assert.rejects(verifyPresentation('http://127.0.0.1:1/video.ism/'), { code: 'smooth.bad-url' });
  await assert.rejects(verifyPresentation('ftp://127.0.0.1/video.ism/Manifest'), { code: 'smooth.bad-url' });
  await assert.rejects(verifyPresentation('not a url'), { code: 'smooth.bad-url' });
  // Any case, as IIS matches it; the base keeps the path's own spelling.
  assert.equal(parseManifestUrl('http://h/a/Video.ism/manifest?x=1').base, 'http://h/a/Video.ism/');
  assert.equal(redactUrl('https://u:p@h/v.ism/Manifest?X-Amz-Signature=abc&X-Amz-Credential=k&a=1'), 'https://REDACTED@h/v.ism/Manifest?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&a=1');
  await withServed(sets.cleanIsm, async (s) => {
    const k = key(s, 'video', 0, 0);
    await rm(join(s.dir, k));
    const secret = 'sv=2024&sig=TOPSECRET%2Bvalue&se=2030';
    const r = await verifyPresentation(`${s.manifestUrl}?${secret}`);
    assert.doesNotMatch(JSON.stringify(r), /TOPSECRET/);
    assert.equal(r.manifestUrl, `${s.manifestUrl}?sv=2024&sig=REDACTED&se=2030`);
    assert.deepEqual(codesByUrl(r), [`verify.http-status ${s.url(k)}?sv=2024&sig=REDACTED&se=2030`]);
    assert.ok(s.server.requests.some((q) => q.path.endsWith(k)), 'fragment requested with the query');
  });
});

test('aborting stops the crawl and throws AbortError', () =>
  withServed(sets.cleanIsm, async (s) => {
    const controller = new AbortController();
    const run = verifyPresentation(s.manifestUrl, {
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.checked === 2) controller.abort();
      },
    });
    await assert.rejects(run, { name: 'AbortError' });
    const fragments = s.server.requests.filter((q) => q.path.includes('/Fragments(')).length;
    assert.ok(fragments <= 3, `stopped early, fetched ${fragments}`);
  }));

test('a video fragment that starts at a non-sync sample: verify.non-sync-start naming its URL', () =>
  withServed(sets.ismlmux, async (s) => {
    // Mark the first sample of one packaged fragment non-sync, as ismlmux's own 1-frame fragments are:
    // moof header 8, mfhd 16, traf header 8, tfhd 16 (default-base-is-moof, no fields), tfdt 20, then
    // trun header 8, version/flags 4, count 4, data offset 4, sample 1's duration 4 and size 4: its flags.
    const victim = join(s.dir, key(s, 'video', 1, 2));
    const bytes = await readFile(victim);
    assert.equal(bytes.toString('latin1', 8 + 16 + 8 + 16 + 20 + 4, 8 + 16 + 8 + 16 + 20 + 8), 'trun', 'the layout smoothpub writes');
    const flagsAt = 8 + 16 + 8 + 16 + 20 + 8 + 4 + 4 + 4 + 8;
    bytes.writeUInt32BE(bytes.readUInt32BE(flagsAt) | 0x00010000, flagsAt);
    await writeFile(victim, bytes);
    const r = await verifyPresentation(s.manifestUrl);
    assert.deepEqual(codesByUrl(r), [`verify.non-sync-start ${s.url(key(s, 'video', 1, 2))}`]);
    assert.match(r.problems[0]!.message, /starts at a non-sync sample/);
  }));
