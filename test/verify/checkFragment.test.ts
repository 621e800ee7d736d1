import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeMfhd } from '../../src/bmff/mfhd.js';
import { writeTfdt } from '../../src/bmff/tfdt.js';
import { TFHD_DEFAULT_SAMPLE_DURATION, writeTfhd } from '../../src/bmff/tfhd.js';
import { writeTfxd } from '../../src/bmff/tfxd.js';
import { TRUN_SAMPLE_CTO, TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, writeTrun } from '../../src/bmff/trun.js';
import { box, boxHeader } from '../../src/bmff/writer.js';
import { checkFragment, checkMdat, fragmentPrefixWanted, locateMoof, SEGMENT_LEADING_BOXES, type ExpectedFragment } from '../../src/verify/checkFragment.js';
import { fetchBody } from '../../src/verify/fetchBody.js';

/** A Smooth fragment: moof{mfhd, traf{tfhd, trun (2 samples of 1000), timing}} mdat. */
function fragment(opts: { time?: bigint; tfdt?: bigint; trackId?: number; defaultDuration?: boolean; trafs?: number; mdat?: Uint8Array } = {}): Uint8Array {
  const traf = (): Uint8Array =>
    box(
      'traf',
      opts.defaultDuration === false ? writeTfhd({ flags: 0, trackId: opts.trackId ?? 1 }) : writeTfhd({ flags: TFHD_DEFAULT_SAMPLE_DURATION, trackId: opts.trackId ?? 1, defaultSampleDuration: 1000 }),
      ...(opts.tfdt === undefined ? [] : [writeTfdt({ version: 1, baseMediaDecodeTime: opts.tfdt })]),
      writeTrun({ version: 0, flags: TRUN_SAMPLE_SIZE, sampleCount: 2, samples: [{ size: 4 }, { size: 4 }] }),
      ...(opts.time === undefined ? [] : [writeTfxd({ version: 1, time: opts.time, duration: 2000n })]),
    );
  const moof = box('moof', writeMfhd({ sequenceNumber: 1 }), ...Array.from({ length: opts.trafs ?? 1 }, traf));
  return concat(moof, opts.mdat ?? box('mdat', new Uint8Array(8)));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

const at = (t: bigint, d = 2000n, first = false): ExpectedFragment => ({ t, d, first });
const check = (bytes: Uint8Array, e: ExpectedFragment): string[] => checkFragment(bytes, bytes.length, e).problems.map((p) => `${p.code}: ${p.message}`);

test('a fragment whose tfxd matches its URL and chunk passes, with its track ID', () => {
  const f = fragment({ time: 4000n, trackId: 7 });
  assert.deepEqual(checkFragment(f, f.length, at(4000n)), { trackId: 7, problems: [] });
});

test('time from tfdt when there is no tfxd (CMAF, Bento4); duration summed from trun', () => {
  assert.deepEqual(check(fragment({ tfdt: 6000n }), at(6000n)), []);
  assert.deepEqual(check(fragment({ tfdt: 6000n }), at(8000n, 3000n)), ['verify.time-mismatch: fragment starts at 6000, URL says 8000', 'verify.duration-mismatch: fragment lasts 2000, Manifest says d=3000']);
});

test('priming: a negative first time is accepted exactly as announced (t=0, d = time + duration)', () => {
  const primed = fragment({ time: -500n });
  assert.deepEqual(check(primed, at(0n, 1500n, true)), []);
  assert.match(check(primed, at(0n, 2000n, true)).join(), /^verify\.duration-mismatch: first fragment starts before 0 \(priming\) at -500 and ends at 1500, Manifest says it ends at d=2000/);
  // Only the first chunk may hide priming, and only at t=0.
  assert.deepEqual(check(primed, at(0n, 1500n, false)), ['verify.time-mismatch: fragment starts at -500, URL says 0', 'verify.duration-mismatch: fragment lasts 2000, Manifest says d=1500']);
  assert.match(check(primed, at(2000n, 1500n, true)).join(), /verify\.time-mismatch: fragment starts at -500, URL says 2000/);
});

test('no time at all: only the duration is checked (clients take times from the Manifest)', () => {
  assert.deepEqual(check(fragment(), at(123n)), []);
});

test('durations from the moov trex (never seen by Smooth clients) count as 0 and say so', () => {
  assert.match(check(fragment({ tfdt: 0n, defaultDuration: false }), at(0n)).join(), /fragment lasts 0, Manifest says d=2000 \(some samples take their duration from the moov's trex/);
});

test('not moof + mdat: garbage, another box first, two trafs, something after the moof, bytes after the mdat', () => {
  assert.match(check(new TextEncoder().encode('<?xml version="1.0"?><html/>'), at(0n)).join(), /^verify\.not-fragment/);
  assert.match(check(concat(box('ftyp', new Uint8Array(8)), fragment({ time: 0n })), at(0n)).join(), /^verify\.not-fragment: expected a 'moof' box first, found 'ftyp'/);
  assert.match(check(fragment({ time: 0n, trafs: 2 }), at(0n)).join(), /^verify\.not-fragment: bad moof: moof holds more than one track fragment/);
  assert.match(check(fragment({ time: 0n, mdat: box('free', new Uint8Array(8)) }), at(0n)).join(), /^verify\.not-fragment: expected an 'mdat' box after the moof at byte \d+, found 'free'/);
  assert.match(check(concat(fragment({ time: 0n }), new Uint8Array(3)), at(0n)).join(), /^verify\.not-fragment: 3 unexpected bytes after the mdat/);
  assert.match(check(Uint8Array.of(0, 0, 0, 3, 0x6d, 0x6f, 0x6f, 0x66), at(0n)).join(), /^verify\.not-fragment: .*smaller than its header/);
});

test('truncated: empty, inside the moof, no mdat, inside the mdat header, inside the mdat', () => {
  const f = fragment({ time: 0n });
  const moofSize = new DataView(f.buffer).getUint32(0);
  for (const cut of [0, 5, 40, moofSize, moofSize + 4, f.length - 1]) {
    assert.match(check(f.subarray(0, cut), at(0n)).join(), /^verify\.truncated/, `cut at ${cut}`);
  }
});

test('an mdat of size 0 extends to the end of the body (ISO/IEC 14496-12 4.2)', () => {
  const withOpenMdat = fragment({ time: 0n, mdat: concat(Uint8Array.of(0, 0, 0, 0, 0x6d, 0x64, 0x61, 0x74), new Uint8Array(100)) });
  assert.deepEqual(check(withOpenMdat, at(0n)), []);
});

test('fragmentPrefixWanted asks for the moof and the next header only, also with a 64-bit moof size', () => {
  const f = fragment({ time: 0n, mdat: concat(boxHeader('mdat', 1 << 20), new Uint8Array(1 << 20)) });
  const moofSize = new DataView(f.buffer).getUint32(0);
  assert.equal(fragmentPrefixWanted(f.subarray(0, 3)), 16);
  assert.equal(fragmentPrefixWanted(f.subarray(0, 16)), moofSize + 32);
  const large = concat(boxHeader('moof', 100, { largesize: true }), new Uint8Array(100));
  assert.equal(fragmentPrefixWanted(large), 116 + 32);
});

test('DASH/HLS segments may carry styp, sidx, prft or emsg before the moof: fragmentPrefixWanted and locateMoof pass over them; a Smooth fragment may not', () => {
  const f = fragment({ tfdt: 0n, mdat: concat(boxHeader('mdat', 1 << 20), new Uint8Array(1 << 20)) });
  const styp = box('styp', new Uint8Array(12));
  const sidx = box('sidx', new Uint8Array(30));
  const segment = concat(styp, sidx, f);
  const moofSize = new DataView(f.buffer).getUint32(0);
  assert.equal(fragmentPrefixWanted(segment.subarray(0, 10)), 16);
  assert.equal(fragmentPrefixWanted(segment.subarray(0, 16)), styp.length + 16, 'past the styp, the next header');
  assert.equal(fragmentPrefixWanted(segment.subarray(0, 200)), styp.length + sidx.length + moofSize + 32);
  const place = locateMoof(segment, segment.length, SEGMENT_LEADING_BOXES);
  assert.ok('end' in place);
  assert.deepEqual(place.leading, ['styp', 'sidx']);
  assert.equal(place.end, styp.length + sidx.length + moofSize);
  assert.deepEqual(checkMdat(segment, place.end, segment.length), []);
  // Only those boxes; and a Smooth fragment (checkFragment) starts with its moof.
  assert.match(JSON.stringify(locateMoof(concat(box('free', new Uint8Array(4)), f), f.length + 12, SEGMENT_LEADING_BOXES)), /expected a 'moof' box first, found 'free'/);
  assert.match(JSON.stringify(locateMoof(concat(styp, box('free', new Uint8Array(4))), styp.length + 12, SEGMENT_LEADING_BOXES)), /expected a 'moof' box after 'styp', found 'free'/);
  assert.match(check(segment, at(0n)).join(), /^verify\.not-fragment: expected a 'moof' box first, found 'styp'/);
  assert.match(JSON.stringify(locateMoof(styp.subarray(0, 10), 24, SEGMENT_LEADING_BOXES)), /verify\.truncated/);
});

test('fetchBody keeps only the prefix of a large body, counting the rest', async () => {
  const body = fragment({ time: 0n, mdat: concat(boxHeader('mdat', 8 << 20), new Uint8Array(8 << 20)) });
  const server = createServer((_req, res) => res.writeHead(200, { 'content-length': String(body.length) }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const r = await fetchBody(url, { fetch, headers: {}, timeoutMs: 10_000, retries: 0, retryDelayMs: 1, keep: fragmentPrefixWanted });
    assert.equal(r.kind, 'response');
    if (r.kind !== 'response') return;
    assert.equal(r.length, body.length);
    assert.ok(r.prefix.length < 1000, `kept ${r.prefix.length} bytes`);
    assert.deepEqual(checkFragment(r.prefix, r.length, at(0n)).problems, []);
  } finally {
    server.close();
    server.closeAllConnections();
  }
});

/** An open-GOP fragment as ffmpeg writes it: keyframe decoded 2 ticks before it is shown (trun v1 offsets), tfxd = its presentation time, a constant duration. */
function openGop(tfxd: { time: bigint; duration: bigint }): Uint8Array {
  const samples = [
    { duration: 1000, size: 4, compositionTimeOffset: 2000 },
    { duration: 900, size: 4, compositionTimeOffset: -1000 },
  ];
  const traf = box(
    'traf',
    writeTfhd({ flags: 0, trackId: 1 }),
    writeTrun({ version: 1, flags: TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | TRUN_SAMPLE_CTO, sampleCount: 2, samples }),
    writeTfxd({ version: 1, ...tfxd }),
  );
  return concat(box('moof', writeMfhd({ sequenceNumber: 1 }), traf), box('mdat', new Uint8Array(8)));
}

test('open GOP: the Manifest must give the samples\' duration; a tfxd time late by the first composition offset is the same start', () => {
  // The samples decode from 4000 (URL) for 1900; tfxd says 6000 (the keyframe's presentation time) for 2000.
  const f = openGop({ time: 6000n, duration: 2000n });
  assert.deepEqual(check(f, at(4000n, 1900n)), []);
  assert.deepEqual(check(f, at(6000n, 2000n)), ['verify.duration-mismatch: fragment lasts 1900, Manifest says d=2000; its tfxd says 2000']);
  assert.deepEqual(check(f, at(5000n, 1900n)), ['verify.time-mismatch: fragment starts at 6000, URL says 5000']);
});
