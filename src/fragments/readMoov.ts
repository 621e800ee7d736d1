import { childBoxes, findChild, requireChild } from '../bmff/box.js';
import type { Cursor } from '../bmff/cursor.js';
import { readHdlr, readHdlrName } from '../bmff/hdlr.js';
import { readMdhd } from '../bmff/mdhd.js';
import { readStsd, type SampleEntry } from '../bmff/stsd.js';
import { readTkhd } from '../bmff/tkhd.js';
import { readTrex, type Trex } from '../bmff/trex.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { readProtectionSystems, readTrackProtection, type ProtectionSystem, type SourceEncryption } from '../protect/sourceProtection.js';
import type { TextRole, TrackKind } from './types.js';

/** What the `moov` says about one track, before any fragment is read. */
export interface MoovTrack {
  trackId: number;
  handlerType: string;
  kind: TrackKind | undefined;
  timescale: number;
  language: string;
  width: number;
  height: number;
  sampleEntry: SampleEntry | undefined;
  /** Samples in the `moov` sample table: non-zero means a plain (progressive) MP4 track. */
  moovSampleCount: number;
  trex: Trex | undefined;
  /** An encrypted sample entry's scheme, key ID and IV size (`sinf`). */
  protection?: SourceEncryption;
  /** A text track's role, where its `kind` box or handler name says (textRoleOf). */
  textRole?: TextRole;
}

export interface Moov {
  fragmented: boolean;
  tracks: MoovTrack[];
  /** DRM system headers among the `moov`'s children (`pssh`, PIFF's protection header `uuid`). */
  systems: ProtectionSystem[];
}

const KINDS: Record<string, TrackKind> = { vide: 'video', soun: 'audio', text: 'text', subt: 'text', sbtl: 'text' };

export function readMoov(c: Cursor): Moov {
  const systems = readProtectionSystems(c);
  const trexById = new Map<number, Trex>();
  const mvex = findChild(c, 'moov', 'mvex');
  if (mvex) {
    for (const box of childBoxes(mvex.payload, 'moov/mvex')) {
      if (box.type === 'trex') {
        const trex = readTrex(box.payload);
        trexById.set(trex.trackId, trex);
      }
    }
  }
  const tracks: MoovTrack[] = [];
  for (const trak of childBoxes(c, 'moov')) {
    if (trak.type !== 'trak') continue;
    const tkhd = readTkhd(requireChild(trak.payload, 'moov/trak', 'tkhd').payload);
    const mdia = requireChild(trak.payload, 'moov/trak', 'mdia').payload;
    const mdhd = readMdhd(requireChild(mdia, 'moov/trak/mdia', 'mdhd').payload);
    const handlerType = readHdlr(requireChild(mdia, 'moov/trak/mdia', 'hdlr').payload).handlerType;
    // A fresh cursor: readHdlr has moved the first past the fields it reads.
    const textRole = KINDS[handlerType] === 'text' ? textRoleOf(trak.payload, requireChild(mdia, 'moov/trak/mdia', 'hdlr').payload) : undefined;
    const stbl = requireChild(requireChild(mdia, 'moov/trak/mdia', 'minf').payload, 'moov/trak/mdia/minf', 'stbl').payload;
    const stsdBox = findChild(stbl, 'stbl', 'stsd');
    // Before readStsd, which moves the payload's cursor to its end.
    const protection = stsdBox ? readTrackProtection(stsdBox.payload) : undefined;
    const first = stsdBox ? readStsd(stsdBox.payload).entries[0] : undefined;
    const sampleEntry = first && detached(first);
    if (mdhd.timescale === 0) {
      throw new SmoothpubError(ErrorCode.BAD_BOX, `track ${tkhd.trackId} has timescale 0`, { offset: mdia.offset, boxPath: 'moov/trak/mdia/mdhd' });
    }
    tracks.push({
      ...(protection && { protection }),
      ...(textRole && { textRole }),
      trackId: tkhd.trackId,
      handlerType,
      kind: KINDS[handlerType],
      timescale: mdhd.timescale,
      language: mdhd.language,
      width: tkhd.width,
      height: tkhd.height,
      sampleEntry,
      moovSampleCount: countSamples(stbl),
      trex: trexById.get(tkhd.trackId),
    });
  }
  return { fragmented: mvex !== undefined, tracks, systems };
}

/** ISO/IEC 14496-12 `kind` values of the DASH role scheme that name a text track's role. */
const DASH_ROLE_SCHEME = 'urn:mpeg:dash:role:2011';

/**
 * A text track's role: a `udta/kind` box in the DASH role scheme (`caption`, `subtitle`; what
 * ffmpeg writes for `-disposition captions`), else a handler name that says captions
 * ('Closed Captions', 'CaptionHandler'); undefined when neither says.
 */
function textRoleOf(trak: Cursor, hdlr: Cursor): TextRole | undefined {
  const udta = findChild(trak, 'moov/trak', 'udta');
  for (const box of udta ? childBoxes(udta.payload, 'moov/trak/udta') : []) {
    if (box.type !== 'kind') continue;
    const [scheme, value] = new TextDecoder().decode(box.payload.bytesOf(box.payload.remaining).subarray(4)).split('\0');
    if (scheme === DASH_ROLE_SCHEME && (value === 'caption' || value === 'subtitle')) return value;
  }
  return /caption/i.test(readHdlrName(hdlr)) ? 'caption' : undefined;
}

function countSamples(stbl: Cursor): number {
  const stsz = findChild(stbl, 'stbl', 'stsz') ?? findChild(stbl, 'stbl', 'stz2');
  if (!stsz) return 0;
  stsz.payload.skip(4 + 4); // version/flags, sample_size (or reserved/field_size)
  return stsz.payload.u32();
}

/**
 * The entry with its byte fields copied out of the `moov`: the index keeps sample entries
 * for its whole life, and a view would keep every byte of a plain MP4's `moov` (its
 * sample tables, megabytes) alive for a few bytes of SPS.
 */
function detached(e: SampleEntry): SampleEntry {
  const out: SampleEntry = { ...e };
  if (e.avcC) out.avcC = { ...e.avcC, sps: e.avcC.sps.map(copyOf), pps: e.avcC.pps.map(copyOf) };
  if (e.esds) out.esds = { ...e.esds, decoderSpecificInfo: copyOf(e.esds.decoderSpecificInfo) };
  if (e.hvcC) out.hvcC = { ...e.hvcC, constraintFlags: copyOf(e.hvcC.constraintFlags), parameterSets: e.hvcC.parameterSets.map(copyOf), record: copyOf(e.hvcC.record) };
  if (e.dac3?.trailing) out.dac3 = { ...e.dac3, trailing: copyOf(e.dac3.trailing) };
  if (e.dec3?.trailing) out.dec3 = { ...e.dec3, trailing: copyOf(e.dec3.trailing) };
  return out;
}

/** A copy (Uint8Array's constructor: a Buffer's `slice` would be another view). */
function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
