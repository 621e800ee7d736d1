// verify's check of encrypted fragments: the sample encryption data (senc or PIFF's uuid,
// saiz, saio) of already-protected sources agrees with their samples, and each way of
// breaking it is found once, named with the object and the byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { childBoxes, type Box } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { indexSource } from '../../src/fragments/indexSource.js';
import { openFileSource } from '../../src/source/fileSource.js';
import { locateMoof, type FragmentProblem } from '../../src/verify/checkFragment.js';
import { checkSampleEncryption } from '../../src/verify/checkSampleEncryption.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { fixtures, key, packageAndServe } from './helpers.js';

const dir = join(fixtures, 'protected');
const SOURCES = ['cenc/video.mp4', 'cenc/audio.mp4', 'cbcs/video.mp4', 'cbcs/audio.mp4', 'piff/v120.ismv', 'piff/audio.isma'];

/** Every fragment body (moof + mdat) of a source, and its tenc IV size. */
async function fragmentsOf(file: string): Promise<{ bodies: Uint8Array[]; ivSize: number }> {
  const src = await openFileSource(join(dir, file));
  try {
    const track = (await indexSource(src)).tracks[0]!;
    const bytes = new Uint8Array(await readFile(join(dir, file)));
    return { bodies: track.fragments.map((f) => bytes.slice(f.offset, f.offset + f.size)), ivSize: track.protection!.ivSize };
  } finally {
    await src.close();
  }
}

function check(body: Uint8Array, ivSize?: number): FragmentProblem[] {
  const place = locateMoof(body, body.length);
  assert.ok('end' in place);
  return checkSampleEncryption(body, place, ivSize);
}

/** The traf's child of a type (or PIFF's sample encryption uuid for 'uuid'). */
function trafChild(body: Uint8Array, type: string): Box {
  const moof = [...childBoxes(new Cursor(body), 'body')][0]!;
  const traf = [...childBoxes(moof.payload, 'moof')].find((b) => b.type === 'traf')!;
  const found = [...childBoxes(traf.payload, 'traf')].find((b) => b.type === type && (type !== 'uuid' || b.uuid === 'a2394f525a9b4f14a2446c427c648df4'));
  assert.ok(found, type);
  return found;
}

test('the sample encryption data of every fragment of Shaka Packager and PIFF sources agrees with its samples', async () => {
  let checked = 0;
  for (const file of SOURCES) {
    const { bodies, ivSize } = await fragmentsOf(file);
    for (const body of bodies) {
      // Smooth (no init segment: the IV size is found from the entries) and DASH/HLS (tenc's).
      assert.deepEqual(check(body), [], file);
      assert.deepEqual(check(body, ivSize), [], file);
      checked++;
    }
  }
  assert.equal(checked, 27);
  // A clear fragment has nothing to check.
  const clear = new Uint8Array(await readFile(join(fixtures, 'clean', 'v120.ismv')));
  const src = await openFileSource(join(fixtures, 'clean', 'v120.ismv'));
  const f = (await indexSource(src)).tracks[0]!.fragments[0]!;
  await src.close();
  assert.deepEqual(check(clear.slice(f.offset, f.offset + f.size)), []);
});

/** A copy of `body` changed by `edit` (given a DataView over it). */
function broken(body: Uint8Array, edit: (view: DataView, body: Uint8Array) => void): Uint8Array {
  const copy = body.slice();
  edit(new DataView(copy.buffer), copy);
  return copy;
}

test('each inconsistency of sample encryption data is found, naming the box and its byte', async () => {
  const video = (await fragmentsOf('cenc/video.mp4')).bodies[1]!;
  const audio = (await fragmentsOf('cenc/audio.mp4')).bodies[1]!;
  const senc = trafChild(video, 'senc');
  const saizAudio = trafChild(audio, 'saiz');
  const saio = trafChild(video, 'saio');
  const cases: [string, Uint8Array, RegExp, number?][] = [
    // sample_count one more than the trun's
    ['senc sample count', broken(video, (v) => v.setUint32(senc.offset + 12, v.getUint32(senc.offset + 12) + 1)), new RegExp(`'senc' at byte ${senc.offset} lists \\d+ samples, the trun \\d+`)],
    // the first sample's first subsample: one protected byte more (IV 8 bytes, subsample_count 2 bytes, clear 2 bytes, protected 4)
    ['subsample sizes', broken(video, (v) => v.setUint32(senc.offset + 16 + 8 + 2 + 2, v.getUint32(senc.offset + 16 + 8 + 2 + 2) + 1)), /sample 0's subsamples \(clear \+ protected bytes\) add up to \d+, the sample has \d+ bytes \(its entry at byte \d+\)/],
    // saiz's default_sample_info_size 8 -> 9
    ['saiz size', broken(audio, (v) => v.setUint8(saizAudio.offset + 12, 9)), new RegExp(`'saiz' at byte ${saizAudio.offset} gives sample 0 9 bytes of auxiliary information, its entry in 'senc' at byte \\d+ has 8`)],
    // saio one byte off
    ['saio offset', broken(video, (v) => v.setUint32(saio.offset + 16, v.getUint32(saio.offset + 16) + 1)), new RegExp(`'saio' at byte ${saio.offset} points \\d+ bytes from the moof \\(byte \\d+\\), the first IV of 'senc' at byte ${senc.offset} is at byte ${senc.offset + 16}`)],
    // the init segment's tenc says 16-byte IVs
    ['IV size', video, /with 16-byte IVs \(the init segment's tenc\): /, 16],
    // saiz and saio with nothing to describe: the senc turned into free space
    ['no senc', broken(video, (_v, b) => b.set([0x66, 0x72, 0x65, 0x65], senc.offset + 4)), /'saiz' at byte \d+ describes sample auxiliary information, but the traf has no 'senc'/],
  ];
  for (const [name, body, message, ivSize] of cases) {
    const problems = check(body, ivSize);
    assert.ok(problems.length >= 1, name);
    assert.ok(problems.every((p) => p.code === 'verify.sample-encryption'), name);
    assert.ok(problems.some((p) => message.test(p.message)), `${name}: ${problems.map((p) => p.message).join('; ')}`);
  }
  // PIFF's uuid box is checked as senc is: its sample count.
  const piff = (await fragmentsOf('piff/audio.isma')).bodies[0]!;
  const uuid = trafChild(piff, 'uuid');
  const problems = check(broken(piff, (v) => v.setUint32(uuid.offset + 28, v.getUint32(uuid.offset + 28) - 1)));
  assert.ok(problems.some((p) => /PIFF sample encryption 'uuid' at byte \d+ lists \d+ samples, the trun \d+/.test(p.message)), problems.map((p) => p.message).join('; '));
});

test('verify crawls a packaged protected presentation (Smooth, DASH, HLS) clean, and names a broken fragment by its URL', async () => {
  const s = await packageAndServe([join(dir, 'piff', 'piff.ism')], { formats: ['smooth', 'dash', 'hls'] });
  try {
    const clean = await verifyPresentation(s.manifestUrl, { formats: ['smooth', 'dash', 'hls'] });
    assert.deepEqual(clean.problems, []);
    // --protection-header: the Manifest must carry exactly the header expected (the .ismc's here).
    const ismc = await readFile(join(dir, 'piff', 'piff.ismc'), 'utf8');
    const header = { systemId: '9A04F079-9840-4286-AB92-E65BE0885F95', data: /<ProtectionHeader[^>]*>([^<]+)</.exec(ismc)![1]! };
    assert.deepEqual((await verifyPresentation(s.manifestUrl, { protectionHeaders: [header] })).problems, []);
    const other = await verifyPresentation(s.manifestUrl, { protectionHeaders: [{ ...header, data: 'QUJDRA==' }] });
    assert.deepEqual(other.problems.map((p) => [p.code, p.url]), [['verify.manifest', s.manifestUrl]]);
    assert.match(other.problems[0]!.message, /the Manifest's protection headers are 9a04f079-9840-4286-ab92-e65be0885f95 \(\d+ base64 characters\), --protection-header expects 9A04F079-9840-4286-AB92-E65BE0885F95 \(8 base64 characters\)/);
    const k = key(s, 'video', 0, 1);
    const file = join(s.dir, k);
    const body = new Uint8Array(await readFile(file));
    const saio = trafChild(body, 'saio');
    await writeFile(file, broken(body, (v) => v.setUint32(saio.offset + 16, v.getUint32(saio.offset + 16) + 4)));
    const r = await verifyPresentation(s.manifestUrl, { formats: ['smooth', 'dash', 'hls'] });
    const found = r.problems.filter((p) => p.code === 'verify.sample-encryption');
    assert.ok(found.length >= 1);
    assert.ok(found.every((p) => p.url === s.url(k)), found.map((p) => p.url).join(', '));
    assert.match(found[0]!.message, /'saio' at byte \d+ points/);
  } finally {
    await s.close();
  }
});
