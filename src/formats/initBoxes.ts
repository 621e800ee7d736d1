import { ByteWriter, box, fullBox } from '../bmff/writer.js';

/**
 * The boxes of a fragmented file's `moov` that carry no media facts: written here, not
 * in src/bmff/, because nothing in smoothpub reads them back.
 */

/** IIS and Expression Encoder files: major brand `isml`, compatible with PIFF. */
export const ISML_BRANDS = ['isml', 'piff', 'iso2'] as const;
/**
 * DASH and HLS init segments: ISO 6 (tfdt v1, default-base-is-moof), CMAF, DASH; the
 * fragments that follow still carry PIFF boxes, which every reader skips.
 */
export const CMAF_BRANDS = ['iso6', 'cmfc', 'dash', 'piff'] as const;

/** `ftyp` with the first brand as major brand, all of them as compatible brands. */
export function writeFtyp(brands: readonly string[] = ISML_BRANDS): Uint8Array {
  const w = new ByteWriter(8 + 4 * brands.length, 'ftyp').fourcc(brands[0]!).u32(brands[0] === 'isml' ? 1 : 0); // major_brand, minor_version
  for (const brand of brands) w.fourcc(brand);
  return box('ftyp', w.finish());
}

/** Version 1 so no time or duration field can overflow; times 0, rate and volume 1.0. */
export function writeMvhd(timescale: number, nextTrackId: number): Uint8Array {
  const w = new ByteWriter(108, 'mvhd')
    .zeros(16) // creation_time, modification_time
    .u32(timescale, 'timescale')
    .u64(0n) // duration: a fragmented file states it in mehd
    .u32(0x00010000) // rate 1.0
    .u16(0x0100) // volume 1.0
    .zeros(10); // reserved
  for (const m of [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000]) w.u32(m); // unity matrix
  w.zeros(24).u32(nextTrackId, 'next_track_ID'); // pre_defined
  return fullBox('mvhd', 1, 0, w.finish());
}

/** Movie extends header: the whole duration, which ffprobe and players show. */
export function writeMehd(duration: bigint): Uint8Array {
  return fullBox('mehd', 1, 0, new ByteWriter(8, 'mehd').u64(duration, 'fragment_duration').finish());
}

/** vmhd (flags 1, as the spec requires) for video, smhd for sound, nmhd otherwise. */
export function writeMediaHeader(kind: 'video' | 'audio' | 'text'): Uint8Array {
  if (kind === 'video') return fullBox('vmhd', 0, 1, new Uint8Array(8)); // graphicsmode, opcolor
  if (kind === 'audio') return fullBox('smhd', 0, 0, new Uint8Array(4)); // balance, reserved
  return fullBox('nmhd', 0, 0);
}

/** One self-contained data reference: the media is in this file. */
export function writeDinf(): Uint8Array {
  const url = fullBox('url ', 0, 1);
  return box('dinf', fullBox('dref', 0, 0, new ByteWriter(4, 'dref').u32(1).finish(), url));
}

/** The sample tables of a fragmented track: all samples live in the fragments. */
export function writeEmptySampleTables(): Uint8Array[] {
  const count0 = (): Uint8Array => new Uint8Array(4);
  return [fullBox('stts', 0, 0, count0()), fullBox('stsc', 0, 0, count0()), fullBox('stsz', 0, 0, new Uint8Array(8)), fullBox('stco', 0, 0, count0())];
}
