import { findChild, requireChild, type Box } from '../../bmff/box.js';
import { readCo64 } from '../../bmff/co64.js';
import { readCtts } from '../../bmff/ctts.js';
import type { Cursor } from '../../bmff/cursor.js';
import { readStco } from '../../bmff/stco.js';
import { readStsc } from '../../bmff/stsc.js';
import { readStss } from '../../bmff/stss.js';
import { readStsz } from '../../bmff/stsz.js';
import { readStts } from '../../bmff/stts.js';
import { ErrorCode, SmoothpubError } from '../../errors.js';
import type { SampleTable } from '../types.js';
import { readEditShift } from './readEditShift.js';

const STBL = 'moov/trak/mdia/minf/stbl';

/** A box's payload, read now if it is not in memory yet (readMoovBytes). */
export type PayloadOf = (box: Box) => Promise<Cursor>;

/**
 * The sample table of one `trak` (its payload), expanded into typed arrays and checked:
 * every table agrees on the sample count, and every sample lies inside the file. Each
 * table box's payload is taken (`payloadOf`) just before it is parsed, so a long file's
 * tables pass through memory one at a time.
 */
export async function readSampleTable(
  trak: Cursor,
  timescales: { movie: number; track: number },
  fileSize: number,
  payloadOf: PayloadOf = (box) => Promise.resolve(box.payload),
): Promise<SampleTable> {
  const mdia = requireChild(trak, 'moov/trak', 'mdia').payload;
  const minf = requireChild(mdia, 'moov/trak/mdia', 'minf').payload;
  const stbl = requireChild(minf, 'moov/trak/mdia/minf', 'stbl').payload;
  const stszBox = findChild(stbl, STBL, 'stsz');
  if (!stszBox) {
    const stz2 = findChild(stbl, STBL, 'stz2');
    throw new SmoothpubError(
      stz2 ? ErrorCode.UNSUPPORTED_INPUT : ErrorCode.MISSING_BOX,
      stz2 ? "compact sample sizes ('stz2') are not supported" : "'stbl' has no 'stsz' box",
      { offset: (stz2 ?? { offset: stbl.offset }).offset, boxPath: STBL },
    );
  }
  const stsz = readStsz(await payloadOf(stszBox));
  const count = stsz.sampleCount;
  const sizes = stsz.sampleSize === 0 ? stsz.sizes : new Uint32Array(count).fill(stsz.sampleSize);

  const sttsBox = requireChild(stbl, STBL, 'stts');
  const times = expandTimes(sttsBox, await payloadOf(sttsBox), count);
  const offsets = await expandOffsets(stbl, sizes, fileSize, payloadOf);
  const table: SampleTable = { count, offsets, sizes, times, ...readEditShift(trak, timescales) };
  const cttsBox = findChild(stbl, STBL, 'ctts');
  if (cttsBox) table.compositionOffsets = expandCompositionOffsets(cttsBox, await payloadOf(cttsBox), count);
  const stssBox = findChild(stbl, STBL, 'stss');
  if (stssBox) table.sync = expandSync(stssBox, await payloadOf(stssBox), count);
  return table;
}

function tableError(box: Box, message: string): SmoothpubError {
  return new SmoothpubError(ErrorCode.BAD_BOX, message, { offset: box.offset, boxPath: `${STBL}/${box.type}` });
}

function expandTimes(box: Box, payload: Cursor, count: number): Uint32Array | Float64Array {
  const stts = readStts(payload);
  let end = 0;
  for (let e = 0; e < stts.counts.length; e++) end += stts.counts[e]! * stts.deltas[e]!;
  // Float64 is exact up to 2^53 ticks, centuries at any real timescale.
  if (end > Number.MAX_SAFE_INTEGER) throw tableError(box, `'stts' durations add up to ${end} ticks, beyond 2^53`);
  const times = end <= 0xffffffff ? new Uint32Array(count + 1) : new Float64Array(count + 1);
  let i = 0;
  let t = 0;
  for (let e = 0; e < stts.counts.length; e++) {
    const n = stts.counts[e]!;
    const d = stts.deltas[e]!;
    if (i + n > count) throw tableError(box, `'stts' covers more than the ${count} samples 'stsz' declares`);
    for (let k = 0; k < n; k++) {
      times[i++] = t;
      t += d;
    }
  }
  if (i !== count) throw tableError(box, `'stts' covers ${i} samples, 'stsz' declares ${count}`);
  times[count] = t;
  return times;
}

function expandCompositionOffsets(box: Box, payload: Cursor, count: number): Int32Array {
  const ctts = readCtts(payload);
  const out = new Int32Array(count);
  let i = 0;
  for (let e = 0; e < ctts.counts.length; e++) {
    const n = ctts.counts[e]!;
    if (i + n > count) throw tableError(box, `'ctts' covers more than the ${count} samples 'stsz' declares`);
    // Version 0 is unsigned by the letter of the spec, but muxers store negative offsets
    // there as two's complement, and ffmpeg and GStreamer read it signed: so do we.
    out.fill(ctts.offsets[e]! | 0, i, i + n);
    i += n;
  }
  // A short table leaves the rest at 0, as ffmpeg reads it.
  return out;
}

function expandSync(box: Box, payload: Cursor, count: number): Uint8Array {
  const stss = readStss(payload);
  const sync = new Uint8Array(count);
  for (const n of stss.sampleNumbers) {
    if (n < 1 || n > count) throw tableError(box, `'stss' names sample ${n}, outside 1..${count}`);
    sync[n - 1] = 1;
  }
  return sync;
}

/** Sample offsets from chunk offsets, samples-per-chunk runs and sizes. */
async function expandOffsets(stbl: Cursor, sizes: Uint32Array, fileSize: number, payloadOf: PayloadOf): Promise<Float64Array> {
  const count = sizes.length;
  const stscBox = requireChild(stbl, STBL, 'stsc');
  const stsc = readStsc(await payloadOf(stscBox));
  const coBox = findChild(stbl, STBL, 'stco') ?? findChild(stbl, STBL, 'co64');
  if (!coBox) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'stbl' has neither 'stco' nor 'co64'", { offset: stbl.offset, boxPath: STBL });
  const coPayload = await payloadOf(coBox);
  const chunks = (coBox.type === 'co64' ? readCo64(coPayload) : readStco(coPayload)).offsets;
  // One sample a chunk (interleaved files): each sample's offset is its chunk's, so the
  // chunk offsets become the sample offsets in place, with no second table-sized array
  // (safe: sample i takes the offset of chunk i or a later one, read before it is written).
  const oneSampleChunks = chunks.length === count && stsc.samplesPerChunk.every((n) => n === 1);
  const offsets = oneSampleChunks ? chunks : new Float64Array(count);
  let sample = 0;
  for (let e = 0; e < stsc.firstChunks.length && sample < count; e++) {
    const first = stsc.firstChunks[e]!;
    const next = e + 1 < stsc.firstChunks.length ? stsc.firstChunks[e + 1]! : chunks.length + 1;
    const per = stsc.samplesPerChunk[e]!;
    if (first < 1 || next <= first || next > chunks.length + 1) {
      throw tableError(stscBox, `'stsc' entry ${e} runs from chunk ${first} to ${next - 1}, outside 1..${chunks.length} or not increasing`);
    }
    for (let chunk = first; chunk < next && sample < count; chunk++) {
      let at = chunks[chunk - 1]!;
      for (let k = 0; k < per && sample < count; k++) {
        const size = sizes[sample]!;
        if (at + size > fileSize) {
          throw new SmoothpubError(
            ErrorCode.TRUNCATED_BOX,
            `sample ${sample + 1} (${size} bytes at byte ${at}) lies beyond the end of the file (${fileSize} bytes): the file is truncated or its chunk offsets are corrupt`,
            { offset: coBox.offset, boxPath: `${STBL}/${coBox.type}` },
          );
        }
        offsets[sample++] = at;
        at += size;
      }
    }
  }
  if (sample !== count) throw tableError(stscBox, `'stsc' and the chunk offsets place ${sample} samples, 'stsz' declares ${count}`);
  return offsets;
}
