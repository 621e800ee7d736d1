import { childBoxes, type Box } from '../bmff/box.js';
import { Cursor, readFullBoxHeader } from '../bmff/cursor.js';
import { UUID_PIFF_SENC } from '../bmff/piff.js';
import { readPiffSampleEncryptionHead } from '../bmff/piffSampleEncryption.js';
import { type Saio, readSaio } from '../bmff/saio.js';
import { type Saiz, readSaiz } from '../bmff/saiz.js';
import { readCountedEntries, sampleEncryptionEntrySize, SENC_USE_SUBSAMPLES } from '../bmff/sampleEncryption.js';
import { readTfhd, TFHD_BASE_DATA_OFFSET, TFHD_DEFAULT_SAMPLE_SIZE } from '../bmff/tfhd.js';
import { readTrun } from '../bmff/trun.js';
import { isSmoothpubError } from '../errors.js';
import { VerifyCode, type VerifyCodeValue } from './problem.js';

/** checkFragment's problem and moof place, structurally (it imports this module). */
type FragmentProblem = { code: VerifyCodeValue; message: string };
type MoofPlace = { payloadStart: number; end: number };


interface SampleEncryption {
  box: Box;
  name: string;
  flags: number;
  /** Byte (in the body) of the first sample's entry: its IV, where `saio` must point. */
  firstEntry: number;
  sampleCount: number;
  /** The IV size the box states itself (PIFF with its override flag), else undefined. */
  statedIvSize?: number;
}

/**
 * The sample encryption data of an encrypted fragment against its samples (ISO/IEC
 * 23001-7, PIFF 1.1 5.3): the `senc` (or PIFF's sample encryption `uuid`) lists as many
 * samples as the `trun`s; each sample's subsamples (clear + protected bytes) add up to its
 * size; `saiz` gives each entry's size (IV plus subsample table) for as many samples;
 * `saio` points at the first IV, counted from the `moof`; the IV size is the init
 * segment's `tenc` one where that is known (`tencIvSize`), else 0, 8 or 16 as the entries
 * fit. A clear fragment (none of these boxes) has nothing to check. Every problem names
 * the byte of the body where it is.
 */
export function checkSampleEncryption(prefix: Uint8Array, place: MoofPlace, tencIvSize?: number): FragmentProblem[] {
  try {
    return check(prefix, place, tencIvSize);
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    return [bad(`bad sample encryption data: ${e.message}`)];
  }
}

function check(prefix: Uint8Array, place: MoofPlace, tencIvSize: number | undefined): FragmentProblem[] {
  const moofStart = place.payloadStart - (new DataView(prefix.buffer, prefix.byteOffset).getUint32(place.payloadStart - 8) === 1 ? 16 : 8);
  const traf = [...childBoxes(new Cursor(prefix, 0, 'moof', place.payloadStart, place.end), 'moof')].find((b) => b.type === 'traf');
  if (!traf) return [];
  let defaultSize: number | undefined;
  let baseDataOffset = false;
  const sizes: number[] = [];
  let senc: SampleEncryption | undefined;
  let saiz: { box: Box; saiz: Saiz } | undefined;
  let saio: { box: Box; saio: Saio } | undefined;
  for (const b of childBoxes(traf.payload, 'moof/traf')) {
    if (b.type === 'tfhd') {
      const tfhd = readTfhd(b.payload);
      if (tfhd.flags & TFHD_DEFAULT_SAMPLE_SIZE) defaultSize = tfhd.defaultSampleSize;
      baseDataOffset = (tfhd.flags & TFHD_BASE_DATA_OFFSET) !== 0;
    } else if (b.type === 'trun') {
      const trun = readTrun(b.payload);
      for (let i = 0; i < trun.sampleCount; i++) sizes.push(trun.samples[i]?.size ?? defaultSize ?? -1);
    } else if (b.type === 'senc' || (b.type === 'uuid' && b.uuid === UUID_PIFF_SENC)) {
      // Both may be present (PIFF 1.3 writers): the first found is checked against saio.
      senc ??= readSampleEncryptionHead(b);
    } else if (b.type === 'saiz') saiz = { box: b, saiz: readSaiz(b.payload) };
    else if (b.type === 'saio') saio = { box: b, saio: readSaio(b.payload) };
  }
  if (!senc) {
    if (saiz || saio) return [bad(`'${saiz ? 'saiz' : 'saio'}' at byte ${(saiz ?? saio)!.box.offset} describes sample auxiliary information, but the traf has no 'senc' (nor PIFF sample encryption 'uuid') holding it`)];
    return [];
  }
  const problems: FragmentProblem[] = [];
  const at = `${senc.name} at byte ${senc.box.offset}`;
  if (senc.sampleCount !== sizes.length) problems.push(bad(`${at} lists ${senc.sampleCount} samples, the trun ${sizes.length}`));
  const ivSize = tencIvSize ?? senc.statedIvSize ?? inferIvSize(senc, sizes.length);
  if (ivSize === undefined) {
    problems.push(bad(`${at}: its ${senc.box.size} bytes fit no IV size of 0, 8 or 16 for ${senc.sampleCount} samples`));
    return problems;
  }
  if (senc.statedIvSize !== undefined && tencIvSize !== undefined && senc.statedIvSize !== tencIvSize) {
    problems.push(bad(`${at} states ${senc.statedIvSize}-byte IVs, the init segment's tenc ${tencIvSize}`));
  }
  const entries = readEntries(senc, ivSize);
  if (typeof entries === 'string') {
    problems.push(bad(`${at} with ${ivSize}-byte IVs${tencIvSize === undefined ? '' : " (the init segment's tenc)"}: ${entries}`));
    return problems;
  }
  for (const [i, e] of entries.entries()) {
    const size = sizes[i];
    if (e.subsampleBytes === undefined || size === undefined || size < 0) continue;
    if (e.subsampleBytes !== size) {
      problems.push(bad(`${at}: sample ${i}'s subsamples (clear + protected bytes) add up to ${e.subsampleBytes}, the sample has ${size} bytes (its entry at byte ${e.offset})`));
      break;
    }
  }
  if (saiz) problems.push(...checkSaiz(saiz, entries, at));
  if (saio) problems.push(...checkSaio(saio, senc, baseDataOffset ? undefined : moofStart, at));
  return problems;
}

function readSampleEncryptionHead(b: Box): SampleEncryption {
  const c = b.payload;
  const name = b.type === 'senc' ? "'senc'" : "PIFF sample encryption 'uuid'";
  const head = b.type === 'senc' ? readFullBoxHeader(c) : readPiffSampleEncryptionHead(c);
  const sampleCount = c.u32();
  const out: SampleEncryption = { box: b, name, flags: head.flags, firstEntry: c.offset, sampleCount };
  if ('override' in head && head.override !== undefined) out.statedIvSize = head.override.ivSize;
  return out;
}

interface Entry {
  offset: number;
  /** Bytes of the entry (IV and subsample table): what saiz must say. */
  size: number;
  subsampleBytes?: number;
}

/** The entries with `ivSize`-byte IVs, or why they do not fit the box exactly. */
function readEntries(senc: SampleEncryption, ivSize: number): Entry[] | string {
  const p = senc.box.payload;
  const c = new Cursor(p.bytes, p.base, p.what, senc.firstEntry - p.base, p.end);
  let samples;
  try {
    samples = readCountedEntries(c, senc.sampleCount, senc.flags, ivSize);
  } catch (e) {
    if (!isSmoothpubError(e)) throw e;
    return e.message;
  }
  if (c.remaining !== 0) return `${c.remaining} bytes left after the ${senc.sampleCount} entries`;
  const useSubsamples = (senc.flags & SENC_USE_SUBSAMPLES) !== 0;
  let offset = senc.firstEntry;
  return samples.map((s) => {
    const entry: Entry = { offset, size: sampleEncryptionEntrySize(s, useSubsamples) };
    if (s.subsamples !== undefined) entry.subsampleBytes = s.subsamples.reduce((sum, ss) => sum + ss.clear + ss.protected, 0);
    offset += entry.size;
    return entry;
  });
}

/** Without a `tenc` (a Smooth fragment): the IV size whose entries fill the box exactly, if one does. */
function inferIvSize(senc: SampleEncryption, samples: number): number | undefined {
  if (senc.sampleCount === 0 && samples === 0) return 8;
  return [8, 16, 0].find((size) => typeof readEntries(senc, size) !== 'string');
}

function checkSaiz({ box, saiz }: { box: Box; saiz: Saiz }, entries: Entry[], at: string): FragmentProblem[] {
  if (saiz.sampleCount !== entries.length) return [bad(`'saiz' at byte ${box.offset} describes ${saiz.sampleCount} samples, ${at} ${entries.length}`)];
  for (let i = 0; i < saiz.sampleCount; i++) {
    const size = saiz.defaultSampleInfoSize !== 0 ? saiz.defaultSampleInfoSize : saiz.sampleSizes[i];
    if (size !== entries[i]!.size) {
      return [bad(`'saiz' at byte ${box.offset} gives sample ${i} ${size} bytes of auxiliary information, its entry in ${at} has ${entries[i]!.size}`)];
    }
  }
  return [];
}

/** `moofStart`: the base saio's offset counts from (undefined: a base_data_offset, which a body on its own cannot check). */
function checkSaio({ box, saio }: { box: Box; saio: Saio }, senc: SampleEncryption, moofStart: number | undefined, at: string): FragmentProblem[] {
  const offset = saio.offsets[0];
  if (saio.offsets.length !== 1 || offset === undefined) return [bad(`'saio' at byte ${box.offset} lists ${saio.offsets.length} offsets: with one 'trun' per fragment it must give exactly one, the first IV's`)];
  if (moofStart === undefined) return [];
  const expected = senc.firstEntry - moofStart;
  if (offset !== expected) {
    return [bad(`'saio' at byte ${box.offset} points ${offset} bytes from the moof (byte ${moofStart + offset}), the first IV of ${at} is at byte ${senc.firstEntry} (${expected} from the moof)`)];
  }
  return [];
}

function bad(message: string): FragmentProblem {
  return { code: VerifyCode.SAMPLE_ENCRYPTION, message };
}
