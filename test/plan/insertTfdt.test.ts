import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childBoxes, findChild, readBoxHeader, requireChild } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readTfdt } from '../../src/bmff/tfdt.js';
import { writeMfhd } from '../../src/bmff/mfhd.js';
import { readTfhd, TFHD_BASE_DATA_OFFSET, TFHD_DEFAULT_SAMPLE_DURATION, TFHD_DEFAULT_SAMPLE_SIZE, writeTfhd } from '../../src/bmff/tfhd.js';
import { readTkhd } from '../../src/bmff/tkhd.js';
import { readTrex } from '../../src/bmff/trex.js';
import { CMAF_TRACK_ID } from '../../src/formats/model.js';
import { readTrun, TRUN_DATA_OFFSET, TRUN_SAMPLE_CTO, TRUN_SAMPLE_SIZE, writeTrun, type Trun } from '../../src/bmff/trun.js';
import { box } from '../../src/bmff/writer.js';
import { fragmentParts, readFragmentBody } from '../../src/fragments/fragmentParts.js';
import { indexFile } from '../../src/fragments/indexFile.js';
import { tfdtGrowth } from '../../src/fragments/tfdtGrowth.js';
import type { FragmentRef } from '../../src/fragments/types.js';
import { initSegmentOf } from '../../src/plan/formatObjects.js';
import { withTfdt } from '../../src/plan/insertTfdt.js';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import { fixtureSets, fixtures, requireTools, run } from '../e2e/helpers.js';

interface Parsed {
  tfdt: bigint | undefined;
  truns: Trun[];
  /** The bytes of every sample the truns name, in order. */
  samples: Uint8Array[];
}

/** A fragment body (moof + mdat) as a DASH/HLS demuxer reads it: tfdt, truns, and each sample's bytes by the data offsets. */
function parse(body: Uint8Array): Parsed {
  const c = new Cursor(body);
  const h = readBoxHeader(c, body.length);
  assert.equal(h.type, 'moof');
  const moof = c.sub(h.size - h.headerSize, 'moof');
  const traf = requireChild(moof, 'moof', 'traf').payload;
  const tfhd = readTfhd(requireChild(traf, 'traf', 'tfhd').payload);
  const tfdtBox = findChild(traf, 'traf', 'tfdt');
  const truns = [...childBoxes(new Cursor(body, 0, 'traf', traf.pos, traf.end), 'traf')].filter((b) => b.type === 'trun').map((b) => readTrun(b.payload));
  const samples: Uint8Array[] = [];
  let at = 0;
  for (const trun of truns) {
    if (trun.dataOffset !== undefined) at = trun.dataOffset;
    for (let i = 0; i < trun.sampleCount; i++) {
      const size = trun.samples[i]?.size ?? tfhd.defaultSampleSize!;
      samples.push(body.subarray(at, at + size));
      at += size;
    }
  }
  return { tfdt: tfdtBox && readTfdt(tfdtBox.payload).baseMediaDecodeTime, truns, samples };
}

async function body(file: string, f: FragmentRef): Promise<Uint8Array> {
  const bytes = await readFile(file);
  return readFragmentBody(fragmentParts(f), (offset, size) => Promise.resolve(bytes.subarray(offset, offset + size)));
}

const sets = {
  'ffmpeg ISMV (tfxd only)': fixtureSets.clean.inputs,
  'B-frames and AAC priming': fixtureSets.users.inputs,
  'two languages, priming': [join(fixtures, 'multitrack.ismv')],
  'plain MP4 (edit lists)': ['v300', 'v200', 'v100'].map((l) => join(fixtures, 'progressive', `${l}.mp4`)),
  'CMAF at its own timescale': [join(fixtures, 'cmaf', 'video.mp4'), join(fixtures, 'cmaf', 'audio.mp4')],
};

for (const [name, inputs] of Object.entries(sets)) {
  test(`--formats dash: every fragment has a tfdt equal to its announced time, the same samples otherwise (${name})`, async () => {
    const smooth = await loadPresentation(inputs);
    const dash = await loadPresentation(inputs, { formats: ['smooth', 'dash'] });
    assert.equal(dash.levels.length, smooth.levels.length);
    let inserted = 0;
    for (const [l, level] of dash.levels.entries()) {
      const before = smooth.levels[l]!;
      assert.deepEqual(level.chunks, before.chunks, 'the timeline is the one the Manifest announces');
      for (const [i, f] of level.track.fragments.entries()) {
        const now = parse(await body(level.track.file, f));
        const was = parse(await body(before.track.file, before.track.fragments[i]!));
        assert.equal(now.tfdt, level.chunks[i]!.t, `${level.streamName} ${level.bitrate} fragment ${i}: tfdt`);
        if (was.tfdt === undefined) inserted++;
        // Every sample is the source's, byte for byte, with its own duration (a primed first fragment too).
        assert.deepEqual(now.samples.map((x) => Buffer.from(x).toString('base64')), was.samples.map((x) => Buffer.from(x).toString('base64')));
        assert.deepEqual(now.truns.flatMap((r) => r.samples.map((x) => x.duration)), was.truns.flatMap((r) => r.samples.map((x) => x.duration)));
      }
    }
    assert.ok(name.startsWith('CMAF') || name.startsWith('plain') || inserted > 0, 'these sources carry no tfdt of their own');
  });
}

test('withTfdt leaves a moof that has a tfdt alone', async () => {
  const [file] = fixtureSets.clean.inputs;
  const dash = await loadPresentation([file!], { formats: ['dash'] });
  const f = dash.levels[0]!.track.fragments[1]!;
  const bytes = await body(file!, f);
  const moofSize = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
  assert.equal(withTfdt(bytes.subarray(0, moofSize), 0, { time: f.time, duration: f.duration, trexDefaultDuration: 0 }), undefined);
});

// multitrack.ismv holds its two video levels as tracks 1 and 2 (audio 3 and 4). GStreamer's
// dashdemux hangs when a level switch brings an init segment and fragments of another
// track ID, so every DASH/HLS init segment and fragment names the same track.
test('every init segment and fragment of a DASH/HLS level names track CMAF_TRACK_ID, whatever the source track', async () => {
  const inputs = [join(fixtures, 'multitrack.ismv')];
  const dash = await loadPresentation(inputs, { formats: ['smooth', 'dash'] });
  const sourceIds = new Set(dash.levels.map((l) => l.track.trackId));
  assert.ok(sourceIds.size > 1 && [...sourceIds].some((id) => id !== CMAF_TRACK_ID), `source tracks ${[...sourceIds].join(', ')}`);
  for (const level of dash.levels) {
    const moov = requireChild(new Cursor(initSegmentOf(dash, level)), 'file', 'moov').payload;
    const trak = requireChild(moov, 'moov', 'trak').payload;
    assert.equal(readTkhd(requireChild(trak, 'trak', 'tkhd').payload).trackId, CMAF_TRACK_ID, `${level.streamName} ${level.bitrate}: tkhd`);
    const mvex = requireChild(moov, 'moov', 'mvex').payload;
    assert.equal(readTrex(requireChild(mvex, 'mvex', 'trex').payload).trackId, CMAF_TRACK_ID, `${level.streamName} ${level.bitrate}: trex`);
    for (const [i, f] of level.track.fragments.entries()) {
      const b = await body(level.track.file, f);
      const moof = new Cursor(b, 0, 'moof', 8, new DataView(b.buffer, b.byteOffset).getUint32(0));
      const traf = requireChild(moof, 'moof', 'traf').payload;
      assert.equal(readTfhd(requireChild(traf, 'traf', 'tfhd').payload).trackId, CMAF_TRACK_ID, `${level.streamName} ${level.bitrate} fragment ${i}: tfhd`);
    }
  }
});

test('withTfdt renames the track of a moof that has a tfdt already, on a copy', async () => {
  const [file] = fixtureSets.clean.inputs;
  const dash = await loadPresentation([file!], { formats: ['dash'] });
  const f = dash.levels[0]!.track.fragments[1]!;
  const bytes = await body(file!, f);
  const moof = bytes.slice(0, new DataView(bytes.buffer, bytes.byteOffset).getUint32(0));
  const traf = requireChild(new Cursor(moof, 0, 'moof', 8, moof.length), 'moof', 'traf');
  const tfhdAt = requireChild(traf.payload, 'traf', 'tfhd').offset;
  const idAt = tfhdAt + 12;
  new DataView(moof.buffer).setUint32(idAt, 2);
  const before = moof.slice();
  const out = withTfdt(moof, 0, { time: f.time, duration: f.duration, trexDefaultDuration: 0 });
  assert.ok(out, 'a new moof');
  assert.deepEqual(moof, before, 'the input is left as it was');
  assert.equal(new DataView(out.buffer, out.byteOffset).getUint32(idAt), CMAF_TRACK_ID);
  out.set(before.subarray(idAt, idAt + 4), idAt);
  assert.deepEqual(out, before, 'only the track ID changed');
});

test('ffmpeg decodes every frame of each level from its init segment and tfdt fragments (audio: one fewer where priming overlaps)', async (t) => {
  if (!requireTools(t, 'ffprobe')) return;
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-tfdt-'));
  try {
    for (const inputs of [fixtureSets.users.inputs, [join(fixtures, 'multitrack.ismv')]]) {
      const dash = await loadPresentation(inputs, { formats: ['dash'] });
      for (const level of dash.levels) {
        const parts = [initSegmentOf(dash, level)];
        for (const f of level.track.fragments) parts.push(await body(level.track.file, f));
        const out = join(dir, `${level.streamName}-${level.bitrate}.mp4`);
        await writeFile(out, Buffer.concat(parts));
        const probe = async (file: string, stream: string): Promise<number> => {
          const r = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', stream, '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file], 60);
          assert.equal(r.code, 0, r.stderr);
          return Number(r.stdout.trim());
        };
        const ours = await probe(out, '0');
        // The track of the source this level came from, by its position among the file's tracks of its kind.
        const index = (await loadPresentation([level.track.file])).sources[0]!.tracks.filter((x) => x.kind === level.track.kind).findIndex((x) => x.trackId === level.track.trackId);
        const source = await probe(level.track.file, `${level.track.kind === 'video' ? 'v' : 'a'}:${index}`);
        assert.ok(ours > 0);
        // A primed first fragment, started at 0, overlaps the next one by its priming frame:
        // ffmpeg decodes one frame fewer there (the one the edit list would have cut).
        const primed = level.track.fragments[0]!.time < 0n;
        assert.equal(ours, primed ? source - 1 : source, `${out}: frames (primed: ${primed})`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tfdtGrowth, which the index records, is what withTfdt adds: a tfdt inserted, one already there, a moof rebuilt', async () => {
  const growth = (moof: Uint8Array, offset: number, time: bigint): number => (withTfdt(moof, offset, { time, duration: 20_000_000n, trexDefaultDuration: 0 }) ?? moof).length - moof.length;
  // ffmpeg's ISMV (tfxd only: inserted), GStreamer's ismlmux (a tfdt already: 0).
  for (const [file, expected] of [[join(fixtures, 'clean', 'v120.ismv'), 20], [join(fixtures, 'othertools', 'ismlmux.ismv'), 0]] as const) {
    let checked = 0;
    for (const track of (await indexFile(file, { keepMoofs: true })).tracks) {
      for (const f of track.fragments) {
        if (!f.moof) continue; // joined at a non-sync start: built in memory
        assert.equal(tfdtGrowth(f.moof, f.offset), expected, file);
        assert.equal(growth(f.moof, f.offset, f.time), f.tfdtGrowth ?? 0, file);
        checked++;
      }
    }
    assert.ok(checked > 3, file);
  }
  // Absolute data offsets (base_data_offset), a second run without one, no tfdt: rebuilt.
  const moof = box(
    'moof',
    writeMfhd({ sequenceNumber: 1 }),
    box(
      'traf',
      writeTfhd({ flags: TFHD_BASE_DATA_OFFSET | TFHD_DEFAULT_SAMPLE_DURATION | TFHD_DEFAULT_SAMPLE_SIZE, trackId: 1, baseDataOffset: 5000n, defaultSampleDuration: 400_000, defaultSampleSize: 10 }),
      writeTrun({ version: 0, flags: TRUN_DATA_OFFSET | TRUN_SAMPLE_CTO, sampleCount: 3, dataOffset: 16, samples: [{ compositionTimeOffset: 800_000 }, { compositionTimeOffset: 0 }, { compositionTimeOffset: 400_000 }] }),
      writeTrun({ version: 0, flags: TRUN_SAMPLE_SIZE, sampleCount: 2, samples: [{ size: 7 }, { size: 5 }] }),
    ),
  );
  const rebuilt = tfdtGrowth(moof, 4000);
  assert.notEqual(rebuilt, 20);
  for (const time of [0n, 20_000_000n, -213_333n]) assert.equal(growth(moof, 4000, time), rebuilt, `starting at ${time}`);
  // A 64-bit moof size (read through the generic box readers): rebuilt too.
  const clean = (await indexFile(join(fixtures, 'clean', 'v120.ismv'), { keepMoofs: true })).tracks[0]!.fragments[1]!.moof!;
  const large = new Uint8Array(clean.length + 8);
  const view = new DataView(large.buffer);
  view.setUint32(0, 1);
  large.set(clean.subarray(4, 8), 4);
  view.setBigUint64(8, BigInt(large.length));
  large.set(clean.subarray(8), 16);
  assert.equal(tfdtGrowth(large, 0), growth(large, 0, 20_000_000n));
  assert.notEqual(tfdtGrowth(large, 0), 20);
});
