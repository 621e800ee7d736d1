import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childBoxes, findChild, requireChild } from '../../src/bmff/box.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readHdlr } from '../../src/bmff/hdlr.js';
import { readMdhd } from '../../src/bmff/mdhd.js';
import { readMfhd } from '../../src/bmff/mfhd.js';
import { UUID_TFXD } from '../../src/bmff/piff.js';
import { TFHD_DEFAULT_BASE_IS_MOOF, readTfhd } from '../../src/bmff/tfhd.js';
import { readTrun } from '../../src/bmff/trun.js';
import { readMoof } from '../../src/fragments/readMoof.js';
import { readMoov } from '../../src/fragments/readMoov.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { readTtmlFragment, readTtmlSample } from '../../src/text/readTtmlSample.js';
import { mergeCues } from '../../src/text/mergeCues.js';
import { textInitSegment } from '../../src/text/textInitSegment.js';
import { textWindows } from '../../src/text/textWindows.js';
import { ttmlFragment } from '../../src/text/ttmlFragment.js';
import { writeTtml } from '../../src/text/writeTtml.js';
import { fixture, timesAndText, utf8 } from './helpers.js';

const TICKS = 10_000_000;
const doc = utf8(writeTtml({ start: 2000, end: 4000, cues: [{ start: 2000, end: 2600, runs: [{ text: 'Yellow', color: 'yellow' }] }] }, { language: 'en', timeBase: 'fragment' }));

function topBoxes(bytes: Uint8Array): Map<string, { offset: number; payload: Cursor; size: number }> {
  const out = new Map<string, { offset: number; payload: Cursor; size: number }>();
  for (const b of childBoxes(new Cursor(bytes, 0, 'file'), 'file')) out.set(b.type, b);
  return out;
}

test('a Smooth text fragment: moof{mfhd, traf{tfhd, trun, tfxd}} + mdat holding the TTML document', () => {
  const bytes = ttmlFragment(doc, { trackId: 5, sequenceNumber: 2, time: 2n * BigInt(TICKS), duration: 2n * BigInt(TICKS), timescale: TICKS, tfxd: true, tfdt: false });
  const top = topBoxes(bytes);
  assert.deepEqual([...top.keys()], ['moof', 'mdat']);
  const moof = top.get('moof')!;
  assert.equal(readMfhd(requireChild(moof.payload, 'moof', 'mfhd').payload).sequenceNumber, 2);
  const traf = requireChild(moof.payload, 'moof', 'traf').payload;
  assert.deepEqual([...childBoxes(new Cursor(traf.bytes, traf.base, 'traf', traf.pos, traf.end), 'traf')].map((b) => b.uuid ?? b.type), ['tfhd', 'trun', UUID_TFXD]);
  assert.equal(readTfhd(requireChild(traf, 'traf', 'tfhd').payload).flags, 0);
  const trun = readTrun(requireChild(traf, 'traf', 'trun').payload);
  assert.deepEqual(trun.samples, [{ duration: 2 * TICKS, size: doc.length }]);
  // The data offset (from the moof's start) points at the document inside the mdat.
  assert.deepEqual(bytes.subarray(moof.offset + trun.dataOffset!, moof.offset + trun.dataOffset! + doc.length), doc);
  // The project's fragment reader takes it as it takes ISMV fragments.
  const info = readMoof(moof.payload, () => 0);
  assert.deepEqual([info.trackId, info.tfxd, info.tfdt, info.duration, info.sampleCount, info.firstSampleSync], [5, { type: 'tfxd', version: 1, time: 20_000_000n, duration: 20_000_000n }, undefined, 20_000_000n, 1, undefined]);
  assert.deepEqual(readTtmlFragment(bytes, 'f', { timescale: TICKS, timeBase: 'fragment' }), [{ start: 2000, end: 2600, runs: [{ text: 'Yellow', color: 'yellow' }] }]);
});

test('a DASH text fragment has tfdt and default-base-is-moof, and may keep tfxd', () => {
  const bytes = ttmlFragment(doc, { trackId: 1, sequenceNumber: 1, time: 2000n, duration: 2000n, timescale: 1000, tfxd: true, tfdt: true });
  const moof = topBoxes(bytes).get('moof')!;
  const info = readMoof(moof.payload, () => 0);
  assert.equal(info.tfdt, 2000n);
  assert.deepEqual(info.tfxd, { type: 'tfxd', version: 1, time: 2000n, duration: 2000n });
  const traf = requireChild(topBoxes(bytes).get('moof')!.payload, 'moof', 'traf').payload;
  assert.equal(readTfhd(requireChild(traf, 'traf', 'tfhd').payload).flags & TFHD_DEFAULT_BASE_IS_MOOF, TFHD_DEFAULT_BASE_IS_MOOF);
  const noTfxd = ttmlFragment(doc, { trackId: 1, sequenceNumber: 1, time: 2000n, duration: 2000n, timescale: 1000, tfxd: false, tfdt: true });
  assert.equal(readMoof(topBoxes(noTfxd).get('moof')!.payload, () => 0).tfxd, undefined);
});

test('the text init segment: stpp naming the TTML namespace, hdlr subt, sthd, read by the project\'s moov reader', () => {
  const init = textInitSegment({ trackId: 3, timescale: TICKS, language: 'fra', duration: 80_000_000n });
  const top = topBoxes(init);
  assert.deepEqual([...top.keys()], ['ftyp', 'moov']);
  const moov = readMoov(top.get('moov')!.payload);
  assert.equal(moov.fragmented, true);
  const [track] = moov.tracks;
  assert.deepEqual([track?.trackId, track?.handlerType, track?.kind, track?.timescale, track?.language, track?.sampleEntry?.format], [3, 'subt', 'text', TICKS, 'fra', 'stpp']);
  // readMoov moved that cursor to the end: read the boxes again.
  const trak = requireChild(topBoxes(init).get('moov')!.payload, 'moov', 'trak').payload;
  const mdia = requireChild(trak, 'trak', 'mdia').payload;
  assert.equal(readHdlr(requireChild(mdia, 'mdia', 'hdlr').payload).handlerType, 'subt');
  assert.equal(readMdhd(requireChild(mdia, 'mdia', 'mdhd').payload).timescale, TICKS);
  const minf = requireChild(mdia, 'mdia', 'minf').payload;
  assert.ok(findChild(minf, 'minf', 'sthd') !== undefined);
  const stsd = requireChild(requireChild(minf, 'minf', 'stbl').payload, 'stbl', 'stsd');
  const entry = stsd.payload.bytes.subarray(stsd.payload.pos + 8, stsd.payload.end);
  // size, 'stpp', 6 reserved, data_reference_index 1, then three NUL-terminated strings
  assert.equal(new TextDecoder().decode(entry.subarray(4, 8)), 'stpp');
  assert.deepEqual(new TextDecoder().decode(entry.subarray(16)).split('\0'), ['http://www.w3.org/ns/ttml', '', '', '']);
});

test('WebVTT -> 2 s TTML fragments (Smooth and DASH time bases) -> cues keeps every cue', () => {
  const source = readSubtitles(fixture('styled.vtt'), 'styled.vtt');
  const windows = textWindows(source, [0, 2000, 4000, 6000].map((start) => ({ start, end: start + 2000 })));
  for (const timeBase of ['fragment', 'track'] as const) {
    const cues = windows.flatMap((w, i) => {
      const bytes = ttmlFragment(utf8(writeTtml(w, { language: 'en', timeBase })), { trackId: 2, sequenceNumber: i + 1, time: BigInt(w.start) * 10_000n, duration: BigInt(w.end - w.start) * 10_000n, timescale: TICKS, tfxd: true, tfdt: true });
      return readTtmlFragment(bytes, 'f', { timescale: TICKS, timeBase });
    });
    assert.deepEqual(timesAndText(mergeCues(cues)), timesAndText(source), timeBase);
  }
});

test('readTtmlSample clips to the sample and ends open paragraphs at its end', () => {
  const ttml = utf8('<tt xmlns="http://www.w3.org/ns/ttml"><body><div><p begin="0.5s">open</p><p begin="0s" end="9s">long</p></div></body></tt>');
  assert.deepEqual(timesAndText(readTtmlSample(ttml, 's', { time: 40_000_000n, duration: 20_000_000n, timescale: TICKS, timeBase: 'fragment' })), [[4000, 6000, 'long'], [4500, 6000, 'open']]);
  assert.deepEqual(timesAndText(readTtmlSample(ttml, 's', { time: 0n, duration: 2000n, timescale: 1000, timeBase: 'track' })), [[0, 2000, 'long'], [500, 2000, 'open']]);
});
