// verify over DASH and HLS: the MPD and the playlists read, every init segment and fragment
// they name fetched once and checked (structure, tfdt against the timeline, durations), the
// HLS rules, the media-services aliases, and with --formats one crawl for all three formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Format } from '../../src/formats/model.js';
import { ALIASES, initKey } from '../../src/formats/names.js';
import { verifyPresentation, type VerifyReport } from '../../src/verify/verifyPresentation.js';
import { makeRoot, presentations, startOrigin } from '../origin/helpers.js';
import { key, packageAndServe, sets, startFaultyProxy, type Served } from './helpers.js';

const ALL: Format[] = ['smooth', 'dash', 'hls'];
const quick = { retryDelayMs: 5 };

async function withServed(inputs: string[], formats: Format[], run: (s: Served) => Promise<void>): Promise<void> {
  const s = await packageAndServe(inputs, { formats });
  try {
    await run(s);
  } finally {
    await s.close();
  }
}

function codesByUrl(r: VerifyReport): string[] {
  return r.problems.map((p) => `${p.code} ${p.url}`);
}

/** The fragments and init segments the packaged presentation holds, from its Manifest. */
function counts(s: Served): { fragments: number; levels: number } {
  let fragments = 0;
  let levels = 0;
  for (const perLevel of s.keys.values()) {
    levels += perLevel.length;
    for (const chunks of perLevel) fragments += chunks.length;
  }
  return { fragments, levels };
}

/** Every document URL of a presentation root: the three documents and every alias. */
function documentUrls(base: string): { url: string; format: Format }[] {
  return [
    { url: `${base}Manifest`, format: 'smooth' },
    { url: `${base}manifest.mpd`, format: 'dash' },
    { url: `${base}master.m3u8`, format: 'hls' },
    ...ALL.flatMap((format) => ALIASES[format].map((alias) => ({ url: base + alias, format }))),
  ];
}

for (const [name, inputs] of [
  ['clean.ism', sets.cleanIsm],
  ['users.ism (B-frames; AAC priming: the first audio fragment given a tfdt of 0)', sets.usersIsm],
  ['multitrack.ismv (two languages)', sets.multitrack],
] as const) {
  test(`package --formats smooth,dash,hls verifies through every document URL and alias: ${name}`, () =>
    withServed([...inputs], ALL, async (s) => {
      const { fragments, levels } = counts(s);
      const base = s.url('');
      for (const { url, format } of documentUrls(base)) {
        const r = await verifyPresentation(url);
        assert.deepEqual(r.problems, [], url);
        assert.deepEqual(Object.keys(r.formats), [format], `${url}: told apart by content`);
        assert.equal(r.fragments, fragments, url);
        assert.equal(r.initSegments, format === 'smooth' ? 0 : levels, url);
        assert.equal(r.formats[format]!.fragments, fragments);
      }
    }));

  test(`--formats smooth,dash,hls: one crawl, each fragment and init segment fetched once, aliases the same bytes: ${name}`, () =>
    withServed([...inputs], ALL, async (s) => {
      const { fragments, levels } = counts(s);
      for (const url of [s.manifestUrl, s.url(''), s.url('manifest.mpd')]) {
        const before = s.server.requests.length;
        const r = await verifyPresentation(url, { formats: ALL });
        assert.deepEqual(r.problems, [], url);
        assert.equal(r.ok, true);
        assert.equal(r.fragments, fragments);
        assert.equal(r.initSegments, levels);
        const requests = s.server.requests.slice(before).map((q) => q.path);
        const fragmentRequests = requests.filter((p) => /\/Fragments\([^=]+=\d+\)$/.test(p));
        assert.equal(fragmentRequests.length, fragments, 'each fragment fetched once though three formats name it');
        assert.equal(new Set(fragmentRequests).size, fragments);
        assert.equal(requests.filter((p) => p.endsWith('=i)')).length, levels, 'each init segment once');
        for (const alias of [...ALIASES.smooth, ...ALIASES.dash, ...ALIASES.hls]) assert.ok(requests.some((p) => p.endsWith(`/${alias}`)), `${alias} fetched`);
        assert.deepEqual(Object.keys(r.formats), ALL);
        assert.equal(r.formats.smooth!.documents, 2, 'Manifest and manifest');
        assert.equal(r.formats.dash!.documents, 3, 'manifest.mpd and its two aliases');
        assert.equal(r.formats.hls!.documents, 3 + levels, 'master.m3u8, its two aliases and a media playlist a level');
        for (const f of ALL) assert.equal(r.formats[f]!.fragments, fragments);
      }
    }));
}

test('serve (the origin, fragments given a tfdt on the fly): every document URL and alias, and --formats, verify', async () => {
  const root = await makeRoot();
  const origin = await startOrigin({ root: root.root });
  try {
    for (const p of [presentations.clean, presentations.users, presentations.multitrack]) {
      const base = `${origin.url}${p.path}/`;
      for (const { url, format } of documentUrls(base)) {
        const r = await verifyPresentation(url);
        assert.deepEqual(r.problems, [], url);
        assert.deepEqual(Object.keys(r.formats), [format]);
        assert.equal(r.fragments, 16);
      }
      const r = await verifyPresentation(base, { formats: ALL });
      assert.deepEqual(r.problems, [], base);
      assert.equal(r.fragments, 16);
      assert.equal(r.initSegments, 4, 'one a level: three video and one audio, or two video and two audio languages');
    }
  } finally {
    await origin.close();
    await root.cleanup();
  }
});

test('fragments without tfdt (package --formats smooth, DASH and HLS documents written over them): verify.missing-tfdt on each, for DASH and HLS', async () => {
  const full = await packageAndServe(sets.usersIsm, { formats: ALL });
  await full.close();
  await withServed(sets.usersIsm, ['smooth'], async (s) => {
    // The documents and init segments of the three-format package, over ISMV fragments as ffmpeg wrote them.
    for (const name of await readdir(full.dir, { recursive: true })) {
      if (/\.m3u8$|^manifest/.test(name) || name.endsWith('=i)')) await copyFile(join(full.dir, name), join(s.dir, name));
    }
    const all = [...s.keys.values()].flat(2).map((k) => s.url(k));
    for (const url of [s.url('manifest.mpd'), s.url('master.m3u8')]) {
      const r = await verifyPresentation(url);
      assert.equal(r.ok, false);
      assert.deepEqual(r.problems.filter((p) => p.code === 'verify.missing-tfdt').map((p) => p.url), all, url);
      assert.match(r.problems[0]!.message, /no 'tfdt'.*--formats dash or hls/);
      // The priming fragment, its samples not rebuilt, also lasts longer than announced.
      assert.deepEqual(
        r.problems.filter((p) => p.code === 'verify.duration-mismatch').map((p) => p.url),
        [s.url(key(s, 'audio', 0, 0))],
      );
    }
    const r = await verifyPresentation(s.manifestUrl, { formats: ALL });
    const missing = r.problems.filter((p) => p.code === 'verify.missing-tfdt');
    assert.equal(missing.length, all.length, 'one problem a fragment, not one a format');
    assert.deepEqual(missing[0]!.formats, ['dash', 'hls']);
    assert.equal(r.formats.smooth!.problems, 0, 'Smooth clients need no tfdt');
  });
});

/** Takes the (version 1, 20-byte) `tfdt` out of a fragment file: sizes and the trun data offset moved back. */
async function stripTfdt(path: string): Promise<void> {
  const bytes = await readFile(path);
  const at = bytes.indexOf('tfdt') - 4;
  assert.equal(bytes.readUInt32BE(at), 20);
  const out = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 20)]);
  out.writeUInt32BE(out.readUInt32BE(0) - 20, 0);
  const traf = out.indexOf('traf') - 4;
  out.writeUInt32BE(out.readUInt32BE(traf) - 20, traf);
  const trun = out.indexOf('trun') - 4;
  // trun: size, type, version and flags, sample_count, then data_offset when flag 0x1 is set.
  if (out.readUInt32BE(trun + 8) & 1) out.writeInt32BE(out.readInt32BE(trun + 16) - 20, trun + 16);
  await writeFile(path, out);
}

test('one fragment stripped of its tfdt: verify.missing-tfdt on that URL alone; Smooth still verifies it', () =>
  withServed(sets.cleanIsm, ALL, async (s) => {
    const k = key(s, 'video', 2, 3);
    await stripTfdt(join(s.dir, k));
    for (const url of [s.url('manifest.mpd'), s.url('master.m3u8')]) {
      assert.deepEqual(codesByUrl(await verifyPresentation(url)), [`verify.missing-tfdt ${s.url(k)}`], url);
    }
    const r = await verifyPresentation(s.manifestUrl, { formats: ALL });
    assert.deepEqual(r.problems.map((p) => [p.code, p.url, p.formats]), [['verify.missing-tfdt', s.url(k), ['dash', 'hls']]]);
  }));

/** Sets the `tfdt` of a fragment file (version 0 or 1) to `time`. */
async function setTfdt(path: string, time: bigint): Promise<void> {
  const bytes = await readFile(path);
  const at = bytes.indexOf('tfdt');
  assert.ok(at > 0, `${path} has a tfdt`);
  if (bytes[at + 4] === 1) bytes.writeBigUInt64BE(time, at + 8);
  else bytes.writeUInt32BE(Number(time), at + 8);
  await writeFile(path, bytes);
}

test('a tfdt off by one fragment: verify.time-mismatch on that URL alone, in every format', () =>
  withServed(sets.cleanIsm, ALL, async (s) => {
    const k = key(s, 'video', 1, 2);
    await setTfdt(join(s.dir, k), 60_000_000n);
    for (const url of [s.url('manifest.mpd'), s.url('master.m3u8'), s.manifestUrl]) {
      const r = await verifyPresentation(url);
      assert.deepEqual(codesByUrl(r), [`verify.time-mismatch ${s.url(k)}`], url);
    }
    const r = await verifyPresentation(s.url('manifest.mpd'));
    assert.match(r.problems[0]!.message, /tfdt says 60000000, the MPD's SegmentTimeline \(Representation 'video-250000'\) says \$Time\$ 40000000: off by 20000000 ticks \(2\.000 s\)/);
    const hls = await verifyPresentation(s.url('master.m3u8'));
    assert.match(hls.problems[0]!.message, /tfdt says 60000000, the playlist puts the segment at 40000000 .* off by 20000000 ticks/);
    const all = await verifyPresentation(s.manifestUrl, { formats: ALL });
    assert.deepEqual(codesByUrl(all), [`verify.time-mismatch ${s.url(k)}`, `verify.time-mismatch ${s.url(k)}`, `verify.time-mismatch ${s.url(k)}`]);
    assert.deepEqual(
      all.problems.map((p) => p.formats),
      [['smooth'], ['dash'], ['hls']],
    );
  }));

test('a missing init segment: verify.http-status naming it, for DASH and HLS; the fragments still checked', () =>
  withServed(sets.cleanIsm, ALL, async (s) => {
    const init = initKey('video', 250000);
    await rm(join(s.dir, init));
    for (const url of [s.url('manifest.mpd'), s.url('master.m3u8')]) {
      const r = await verifyPresentation(url);
      assert.deepEqual(codesByUrl(r), [`verify.http-status ${s.url(init)}`], url);
      assert.match(r.problems[0]!.message, /found 404 \(missing\)/);
      assert.equal(r.fragments, 16);
    }
    const r = await verifyPresentation(s.manifestUrl, { formats: ALL });
    assert.deepEqual(r.problems.map((p) => p.formats), [['dash', 'hls']]);
  }));

/** Sets the `mdhd` timescale of an init segment. */
async function setTimescale(path: string, timescale: number): Promise<void> {
  const bytes = await readFile(path);
  const at = bytes.indexOf('mdhd');
  // After the type: version and flags, then creation and modification times (8 bytes each in version 1).
  bytes.writeUInt32BE(timescale, at + 8 + (bytes[at + 4] === 1 ? 16 : 8));
  await writeFile(path, bytes);
}

test('an init segment with the wrong timescale: verify.timescale-mismatch (DASH); its segments off the EXTINFs (HLS)', () =>
  withServed(sets.cleanIsm, ALL, async (s) => {
    const init = initKey('video', 400000);
    await setTimescale(join(s.dir, init), 90000);
    const dash = await verifyPresentation(s.url('manifest.mpd'));
    assert.deepEqual(codesByUrl(dash), [`verify.timescale-mismatch ${s.url(init)}`]);
    assert.match(dash.problems[0]!.message, /timescale 90000 \(mdhd\), Representation 'video-400000' says 10000000/);
    const hls = await verifyPresentation(s.url('master.m3u8'));
    const level = s.keys.get('video')![0]!.map((k) => s.url(k));
    assert.deepEqual(
      hls.problems.filter((p) => p.code === 'verify.duration-mismatch').map((p) => p.url),
      level,
      'every segment of that playlist lasts 2 s at 10 MHz, not at 90 kHz',
    );
    assert.ok(hls.problems.every((p) => level.includes(p.url)));
  }));

test('a playlist breaking an HLS rule: verify.hls-rule naming the rule and the line', () =>
  withServed(sets.cleanIsm, ALL, async (s) => {
    const playlist = join(s.dir, 'video-250000.m3u8');
    await writeFile(playlist, (await readFile(playlist, 'utf8')).replace('#EXT-X-TARGETDURATION:2', '#EXT-X-TARGETDURATION:1'));
    const r = await verifyPresentation(s.url('master.m3u8'));
    assert.ok(r.problems.length > 0);
    for (const p of r.problems) {
      assert.equal(p.code, 'verify.hls-rule');
      assert.equal(p.url, s.url('video-250000.m3u8'));
      assert.match(p.message, /^target-duration \(line \d+\): EXTINF 2\.000 rounds to 2, above EXT-X-TARGETDURATION 1$/);
    }
    assert.equal(r.problems.length, 4, 'one a segment');
    // The MPD is untouched: DASH verifies.
    assert.equal((await verifyPresentation(s.url('manifest.mpd'))).ok, true);
  }));

test('an MPD whose SegmentTimeline misses a fragment: verify.timeline (gap, or an early end); with --formats also the fragments no Representation names', () =>
  withServed(sets.cleanIsm, ALL, async (s) => {
    const mpdPath = join(s.dir, 'manifest.mpd');
    const mpd = await readFile(mpdPath, 'utf8');
    const video = '<S t="0" d="20000000" r="3"/>';
    assert.ok(mpd.includes(video));
    // The second video fragment left out: a gap.
    await writeFile(mpdPath, mpd.replace(video, '<S t="0" d="20000000"/><S t="40000000" d="20000000" r="1"/>'));
    let r = await verifyPresentation(s.url('manifest.mpd'));
    assert.deepEqual(r.problems.map((p) => p.code), ['verify.timeline', 'verify.timeline', 'verify.timeline'], 'one a video Representation');
    assert.match(r.problems[0]!.message, /^Representation 'video-400000': the SegmentTimeline has a gap of 20000000 ticks \(2\.000 s\) between the segment ending at 20000000 and the one starting at 40000000/);
    assert.equal(r.fragments, 16 - 3);

    r = await verifyPresentation(s.manifestUrl, { formats: ['smooth', 'dash'] });
    const missing = s.keys.get('video')!.map((chunks) => s.url(chunks[1]!));
    assert.deepEqual(r.problems.filter((p) => p.code === 'verify.format-mismatch').map((p) => p.url), missing);
    assert.match(r.problems.find((p) => p.code === 'verify.format-mismatch')!.message, /named by the Smooth Manifest but not by any Representation of the MPD/);
    // The aliases still hold the MPD as written: no longer the same bytes.
    assert.deepEqual(r.problems.filter((p) => p.code === 'verify.alias').map((p) => p.url), ALIASES.dash.map((a) => s.url(a)));

    // The last one left out: the timeline ends 2 s before the Period.
    await writeFile(mpdPath, mpd.replace(video, '<S t="0" d="20000000" r="2"/>'));
    r = await verifyPresentation(s.url('manifest.mpd'));
    assert.deepEqual(r.problems.map((p) => p.code), ['verify.timeline', 'verify.timeline', 'verify.timeline']);
    assert.match(r.problems[0]!.message, /ends at 6\.000 s, 2\.021 s before its Period \(8\.021 s long\)/);
  }));

test('an MPD naming other objects than the Manifest, and an alias with another Content-Type or other bytes', () =>
  withServed(sets.cleanIsm, ALL, async (s) => {
    const mpdPath = join(s.dir, 'manifest.mpd');
    // Audio from a copy of the fragments elsewhere: DASH must name the Smooth objects themselves.
    const mpd = (await readFile(mpdPath, 'utf8')).replace('media="QualityLevels($Bandwidth$)/Fragments(audio=$Time$)"', 'media="copy/QualityLevels($Bandwidth$)/Fragments(audio=$Time$)"');
    await writeFile(mpdPath, mpd);
    for (const alias of ALIASES.dash) await writeFile(join(s.dir, alias), mpd);
    await writeFile(join(s.dir, ALIASES.hls[1]!), '#EXTM3U\n');
    const proxy = await startFaultyProxy(s.server.url, () => 'pass', { contentType: (path) => (path.endsWith(ALIASES.dash[0]!) ? 'text/xml' : undefined) });
    try {
      const r = await verifyPresentation(`${proxy.url}video.ism/Manifest`, { formats: ALL, ...quick });
      const url = (k: string): string => `${proxy.url}video.ism/${k}`;
      const audio = s.keys.get('audio')![0]!;
      assert.deepEqual(r.problems.filter((p) => p.code === 'verify.content-type').map((p) => p.url), [url(ALIASES.dash[0]!)]);
      assert.match(r.problems.find((p) => p.code === 'verify.content-type')!.message, /expected Content-Type application\/dash\+xml, found "text\/xml"/);
      assert.deepEqual(r.problems.filter((p) => p.code === 'verify.alias').map((p) => p.url), [url(ALIASES.hls[1]!)]);
      const mismatched = r.problems.filter((p) => p.code === 'verify.format-mismatch');
      assert.deepEqual(
        mismatched.map((p) => p.url),
        [...audio.map((k) => url(k)), ...audio.map((k) => url(`copy/${k}`))],
        'each Smooth audio fragment the MPD does not name, then each object it names instead',
      );
      // The copies do not exist: 404 as well, for DASH alone.
      assert.deepEqual(
        r.problems.filter((p) => p.code === 'verify.http-status').map((p) => [p.url, p.formats]),
        audio.map((k) => [url(`copy/${k}`), ['dash']]),
      );
    } finally {
      await proxy.close();
    }
  }));

test('a fragment naming another track than its init segment: verify.track-mismatch, for DASH and HLS at once (and for Smooth, against its level)', () =>
  withServed(sets.cleanIsm, ALL, async (s) => {
    const k = key(s, 'video', 0, 1);
    const bytes = await readFile(join(s.dir, k));
    // tfhd: size, type, version and flags, then track_ID.
    bytes.writeUInt32BE(99, bytes.indexOf('tfhd') + 8);
    await writeFile(join(s.dir, k), bytes);
    const r = await verifyPresentation(s.url('manifest.mpd'));
    assert.deepEqual(codesByUrl(r), [`verify.track-mismatch ${s.url(k)}`]);
    assert.match(r.problems[0]!.message, /^fragment's tfhd names track 99, its init segment .*QualityLevels\(\d+\)\/Fragments\(video=i\) describes track \d+: players find no track/);
    const all = await verifyPresentation(s.manifestUrl, { formats: ALL });
    assert.deepEqual(
      all.problems.map((p) => [p.code, p.url, p.formats]),
      [
        ['verify.track-mismatch', s.url(k), ['dash', 'hls']],
        ['verify.track-mismatch', s.url(k), ['smooth']],
      ],
    );
  }));

test('a URL is told apart by content, its name only a hint; a folder needs --formats', async () => {
  await assert.rejects(verifyPresentation('http://127.0.0.1:1/video.ism/'), { code: 'smooth.bad-url', message: /needs --formats/ });
  await assert.rejects(verifyPresentation('http://127.0.0.1:1/video.ism'), { code: 'smooth.bad-url' });
  await withServed(sets.cleanIsm, ALL, async (s) => {
    // An MPD under a name that says nothing (as a CDN rewrite might serve it).
    await copyFile(join(s.dir, 'manifest.mpd'), join(s.dir, 'stream'));
    const r = await verifyPresentation(s.url('stream'));
    // Served as application/octet-stream by name: the content decides, the type is reported.
    assert.deepEqual(Object.keys(r.formats), ['dash']);
    assert.deepEqual(r.problems.map((p) => p.code), ['verify.content-type']);
    assert.equal(r.fragments, 16);
    // A Smooth Manifest away from /Manifest cannot be played: clients strip exactly that.
    await copyFile(join(s.dir, 'Manifest'), join(s.dir, 'smooth.xml'));
    const smooth = await verifyPresentation(s.url('smooth.xml'));
    assert.deepEqual(smooth.problems.map((p) => p.code), ['verify.manifest']);
    assert.match(smooth.problems[0]!.message, /ending in \/Manifest/);
    // Neither: named, and nothing else fetched.
    await writeFile(join(s.dir, 'other.txt'), 'hello');
    const other = await verifyPresentation(s.url('other.txt'));
    assert.deepEqual(other.problems.map((p) => p.code), ['verify.manifest']);
    assert.match(other.problems[0]!.message, /expected a Smooth Manifest, a DASH MPD or an HLS multivariant playlist, found "hello"/);
    // A media playlist is not the presentation.
    const media = await verifyPresentation(s.url('video-400000.m3u8'));
    assert.match(media.problems[0]!.message, /found a media playlist: give the master\.m3u8 URL/);
  });
});
