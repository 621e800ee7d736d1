/**
 * The text layer's API as the plan uses it. ttmlFragment and textInitSegment are stand-ins
 * with the signatures the text layer announced (src/text/ has not got them yet): replaced
 * by its own once merged.
 */
import { writeHdlr } from '../bmff/hdlr.js';
import { writeMdhd } from '../bmff/mdhd.js';
import { writeMfhd } from '../bmff/mfhd.js';
import { writeTfdt } from '../bmff/tfdt.js';
import { TFHD_DEFAULT_BASE_IS_MOOF, writeTfhd } from '../bmff/tfhd.js';
import { writeTfxd } from '../bmff/tfxd.js';
import { writeTkhd } from '../bmff/tkhd.js';
import { writeTrex } from '../bmff/trex.js';
import { TRUN_DATA_OFFSET, TRUN_SAMPLE_DURATION, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_SIZE, writeTrun } from '../bmff/trun.js';
import { box, fullBox } from '../bmff/writer.js';
import { CMAF_BRANDS, writeDinf, writeEmptySampleTables, writeFtyp, writeMehd, writeMvhd } from '../formats/initBoxes.js';
import { concatBytes } from '../util/concatBytes.js';

export { readSubtitles } from '../text/readSubtitles.js';
export { textWindows } from '../text/textWindows.js';
export { writeTtml } from '../text/writeTtml.js';
export { writeWebVtt } from '../text/writeWebVtt.js';

export interface TtmlFragmentOptions {
  trackId: number;
  sequenceNumber: number;
  time: bigint;
  duration: bigint;
  timescale: number;
  tfxd: boolean;
  tfdt: boolean;
}

/** A sync sample (sample_depends_on = 2). */
const SYNC_SAMPLE_FLAGS = 0x02000000;

/** One TTML document as one sample: `moof` (mfhd, traf: tfhd, tfdt, trun, tfxd) + `mdat`. */
export function ttmlFragment(document: string, o: TtmlFragmentOptions): Uint8Array {
  const sample = new TextEncoder().encode(document);
  const moofOf = (dataOffset: number): Uint8Array =>
    box(
      'moof',
      writeMfhd({ sequenceNumber: o.sequenceNumber }),
      box(
        'traf',
        writeTfhd({ flags: TFHD_DEFAULT_BASE_IS_MOOF, trackId: o.trackId }),
        ...(o.tfdt ? [writeTfdt({ version: 1, baseMediaDecodeTime: o.time })] : []),
        writeTrun({ version: 0, flags: TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | TRUN_SAMPLE_FLAGS, sampleCount: 1, dataOffset, samples: [{ duration: Number(o.duration), size: sample.length, flags: SYNC_SAMPLE_FLAGS }] }),
        ...(o.tfxd ? [writeTfxd({ version: 1, time: o.time, duration: o.duration })] : []),
      ),
    );
  const moof = moofOf(moofOf(0).length + 8);
  return concatBytes([moof, box('mdat', sample)]);
}

const TTML_NAMESPACE = 'http://www.w3.org/ns/ttml';

/** `ftyp` + `moov` of a TTML track (ISO/IEC 14496-30): `subt` handler, `sthd`, an `stpp` sample entry. */
export function textInitSegment(o: { trackId: number; timescale: number; language: string; duration?: bigint }): Uint8Array {
  const cstring = (s: string): Uint8Array => new TextEncoder().encode(`${s}\0`);
  const stpp = box('stpp', new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1]), cstring(TTML_NAMESPACE), cstring(''), cstring(''));
  const stsd = fullBox('stsd', 0, 0, new Uint8Array([0, 0, 0, 1]), stpp);
  const minf = box('minf', fullBox('sthd', 0, 0), writeDinf(), box('stbl', stsd, ...writeEmptySampleTables()));
  const mdia = box('mdia', writeMdhd({ version: 1, timescale: o.timescale, duration: 0n, language: o.language.length === 3 ? o.language : 'und' }), writeHdlr({ handlerType: 'subt' }, 'SubtitleHandler'), minf);
  const tkhd = writeTkhd({ version: 1, flags: 3, trackId: o.trackId, duration: 0n, width: 0, height: 0 });
  const trex = writeTrex({ trackId: o.trackId, defaultSampleDescriptionIndex: 1, defaultSampleDuration: 0, defaultSampleSize: 0, defaultSampleFlags: 0 });
  const moov = box('moov', writeMvhd(o.timescale, o.trackId + 1), box('trak', tkhd, mdia), box('mvex', writeMehd(o.duration ?? 0n), trex));
  return concatBytes([writeFtyp(CMAF_BRANDS), moov]);
}
