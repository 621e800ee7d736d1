import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { childBoxes, requireChild } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readMfro } from '../../src/bmff/mfro.js';
import { readTfra } from '../../src/bmff/tfra.js';
import { indexFile } from '../../src/fragments/indexFile.js';
import { readMoov } from '../../src/fragments/readMoov.js';
import { openFileSource } from '../../src/source/fileSource.js';
import { readTrackSetup } from '../../src/fragments/readTrackSetup.js';
import { writeInitSegment } from '../../src/formats/initSegment.js';
import { tfraTime, writeMfra } from '../../src/remux/writeMfra.js';

const FIX = resolve('test/fixtures');

test('the init segment is ftyp isml + a fragmented moov that reads back as the source track', async () => {
  const file = `${FIX}/multitrack.ismv`;
  const track = (await indexFile(file)).tracks.find((t) => t.trackId === 4)!;
  const src = await openFileSource(file);
  const setup = await readTrackSetup(src, 4).finally(() => src.close());
  assert.ok(setup.stsd && setup.trex);
  assert.equal(setup.trex.trackId, 4);
  const init = writeInitSegment(track, setup, { language: 'fra' });
  const top = [...childBoxes(new Cursor(init), 'file')];
  assert.deepEqual(top.map((b) => b.type), ['ftyp', 'moov']);
  assert.equal(top[0]!.payload.fourcc(), 'isml');
  const moov = readMoov(top[1]!.payload);
  assert.equal(moov.fragmented, true);
  assert.equal(moov.tracks.length, 1);
  const t = moov.tracks[0]!;
  assert.deepEqual(
    { trackId: t.trackId, kind: t.kind, timescale: t.timescale, language: t.language, samples: t.moovSampleCount },
    { trackId: 4, kind: 'audio', timescale: track.timescale, language: 'fra', samples: 0 },
  );
  assert.deepEqual(t.sampleEntry, track.sampleEntry);
  assert.deepEqual(t.trex, setup.trex);
  // The source's stsd is copied byte for byte.
  const moovAgain = [...childBoxes(new Cursor(init), 'file')][1]!.payload; // readMoov consumed the first cursor
  const stbl = requireChild(requireChild(requireChild(requireChild(moovAgain, 'moov', 'trak').payload, 'trak', 'mdia').payload, 'mdia', 'minf').payload, 'minf', 'stbl');
  const stsd = requireChild(stbl.payload, 'stbl', 'stsd');
  assert.deepEqual(init.subarray(stsd.offset, stsd.offset + stsd.size), setup.stsd);
});

test('mfra: one tfra entry per fragment, mfro gives the mfra size; priming time becomes 0', () => {
  const entries = [
    { time: tfraTime(-213333n), moofOffset: 700, trafNumber: 1, trunNumber: 1, sampleNumber: 1 },
    { time: tfraTime(19200000n), moofOffset: 5_000_000_000, trafNumber: 1, trunNumber: 1, sampleNumber: 1 },
  ];
  const mfra = writeMfra(2, entries);
  const [box] = [...childBoxes(new Cursor(mfra), 'file')];
  assert.equal(box!.type, 'mfra');
  assert.equal(box!.size, mfra.length);
  const [tfra, mfro] = [...childBoxes(box!.payload, 'mfra')];
  assert.deepEqual(readTfra(tfra!.payload), { type: 'tfra', version: 1, trackId: 2, entries: [{ ...entries[0], time: 0n }, entries[1]] });
  assert.equal(readMfro(mfro!.payload).mfraSize, mfra.length);
  assert.deepEqual([...mfra.subarray(-16, -8)], [0, 0, 0, 16, 0x6d, 0x66, 0x72, 0x6f]); // size, 'mfro': the file's last 16 bytes
});
