import { writeHdlr } from '../bmff/hdlr.js';
import { writeMdhd } from '../bmff/mdhd.js';
import { writeTkhd } from '../bmff/tkhd.js';
import { writeTrex } from '../bmff/trex.js';
import { ByteWriter, box, fullBox } from '../bmff/writer.js';
import { TTML_NS } from './writeTtml.js';

export interface TextInitOptions {
  trackId: number;
  timescale: number;
  /** ISO 639-2/T language for `mdhd` ('eng'); 'und' when not three lowercase letters. */
  language: string;
  /** The track's duration in `timescale` units (mehd); 0 when unknown. */
  duration?: bigint;
  /** `ftyp` brands, the first the major one (default: ISO 6, CMAF, DASH). */
  brands?: readonly string[];
  /** A source track's whole `stsd` box, kept as it is (its `stpp` or PIFF `dfxp` entry); default an `stpp` naming the TTML namespace. */
  stsd?: Uint8Array;
}

/**
 * `ftyp` + `moov` of a TTML text track as ISO/IEC 14496-30 defines it: handler `subt`,
 * media header `sthd`, sample entry `stpp` (XMLSubtitleSampleEntry) naming the TTML
 * namespace, with empty schema location and auxiliary MIME types; `mvex` with a `trex`
 * whose default sample flags (0) make every sample a sync sample.
 */
export function textInitSegment(options: TextInitOptions): Uint8Array {
  const brands = options.brands ?? ['iso6', 'cmfc', 'dash'];
  const ftypFields = new ByteWriter(8 + 4 * brands.length, 'ftyp').fourcc(brands[0]!).u32(0);
  for (const b of brands) ftypFields.fourcc(b);
  const ftyp = box('ftyp', ftypFields.finish());
  const stbl = box(
    'stbl',
    options.stsd ?? fullBox('stsd', 0, 0, new ByteWriter(4, 'stsd').u32(1).finish(), writeStpp([TTML_NS])),
    fullBox('stts', 0, 0, new Uint8Array(4)),
    fullBox('stsc', 0, 0, new Uint8Array(4)),
    fullBox('stsz', 0, 0, new Uint8Array(8)),
    fullBox('stco', 0, 0, new Uint8Array(4)),
  );
  const dinf = box('dinf', fullBox('dref', 0, 0, new ByteWriter(4, 'dref').u32(1).finish(), fullBox('url ', 0, 1)));
  const minf = box('minf', fullBox('sthd', 0, 0), dinf, stbl);
  const mdia = box('mdia', writeMdhd({ version: 1, timescale: options.timescale, duration: 0n, language: options.language }), writeHdlr({ handlerType: 'subt' }, 'SubtitleHandler'), minf);
  const tkhd = writeTkhd({ version: 1, flags: 3, trackId: options.trackId, duration: 0n, width: 0, height: 0 });
  const mvhd = new ByteWriter(108, 'mvhd')
    .zeros(16) // creation_time, modification_time
    .u32(options.timescale, 'timescale')
    .u64(0n) // duration: stated in mehd
    .u32(0x00010000) // rate 1.0
    .u16(0x0100) // volume 1.0
    .zeros(10);
  for (const m of [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000]) mvhd.u32(m); // unity matrix
  mvhd.zeros(24).u32(options.trackId + 1, 'next_track_ID');
  const mehd = fullBox('mehd', 1, 0, new ByteWriter(8, 'mehd').u64(options.duration ?? 0n, 'fragment_duration').finish());
  const trex = writeTrex({ trackId: options.trackId, defaultSampleDescriptionIndex: 1, defaultSampleDuration: 0, defaultSampleSize: 0, defaultSampleFlags: 0 });
  const moov = box('moov', fullBox('mvhd', 1, 0, mvhd.finish()), box('trak', tkhd, mdia), box('mvex', mehd, trex));
  const out = new Uint8Array(ftyp.length + moov.length);
  out.set(ftyp, 0);
  out.set(moov, ftyp.length);
  return out;
}

/** XMLSubtitleSampleEntry (ISO/IEC 14496-30 5.5.2): namespaces, schema locations, auxiliary MIME types, each a NUL-terminated UTF-8 string. */
export function writeStpp(namespaces: readonly string[], schemaLocation = '', auxiliaryMimeTypes = ''): Uint8Array {
  const strings = [namespaces.join(' '), schemaLocation, auxiliaryMimeTypes].map((s) => new TextEncoder().encode(s));
  const w = new ByteWriter(8 + strings.reduce((n, s) => n + s.length + 1, 0), 'stpp').zeros(6).u16(1, 'data_reference_index');
  for (const s of strings) w.bytesOf(s).u8(0);
  return box('stpp', w.finish());
}
