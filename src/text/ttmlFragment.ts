import { writeMfhd } from '../bmff/mfhd.js';
import { TFHD_DEFAULT_BASE_IS_MOOF, writeTfhd } from '../bmff/tfhd.js';
import { writeTfdt } from '../bmff/tfdt.js';
import { writeTfxd } from '../bmff/tfxd.js';
import { TRUN_DATA_OFFSET, TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, writeTrun } from '../bmff/trun.js';
import { box, boxHeader } from '../bmff/writer.js';

export interface TtmlFragmentOptions {
  trackId: number;
  /** mfhd sequence number, 1-based. */
  sequenceNumber: number;
  /** The fragment's start and duration in `timescale` units (10,000,000 for Smooth). */
  time: bigint;
  duration: bigint;
  timescale: number;
  /** PIFF `tfxd` (Smooth clients take the fragment's time from it). */
  tfxd: boolean;
  /** ISO `tfdt` (DASH and HLS players, ISO/IEC 14496-12 8.8.12). */
  tfdt: boolean;
}

/**
 * One text fragment: `moof` + `mdat` holding one sample, the TTML document, as IIS and
 * Azure Media Services served Smooth text fragments (`moof{mfhd, traf{tfhd, trun, tfxd}}`,
 * one TTML document per fragment) and as ISO/IEC 14496-30 carries TTML for DASH `stpp`
 * (`tfdt`, default-base-is-moof). The sample lasts the whole fragment, so a player knows
 * the document's span without reading it. Its sample is a sync sample (trex default
 * flags 0). `timescale` is not written here (the init segment and the Manifest state it);
 * it is part of the options so callers state the unit of `time` and `duration`.
 */
export function ttmlFragment(document: Uint8Array, options: TtmlFragmentOptions): Uint8Array {
  const duration = Number(options.duration);
  const traf = (dataOffset: number): Uint8Array =>
    box(
      'traf',
      // Without tfdt this is a Smooth-only fragment: IIS wrote tfhd without
      // default-base-is-moof (PIFF predates it); the data offset is from the moof either way.
      writeTfhd({ flags: options.tfdt ? TFHD_DEFAULT_BASE_IS_MOOF : 0, trackId: options.trackId }),
      ...(options.tfdt ? [writeTfdt({ version: 1, baseMediaDecodeTime: options.time })] : []),
      writeTrun({ version: 0, flags: TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE, sampleCount: 1, dataOffset, samples: [{ duration, size: document.length }] }),
      ...(options.tfxd ? [writeTfxd({ version: 1, time: options.time, duration: options.duration })] : []),
    );
  const mfhd = writeMfhd({ sequenceNumber: options.sequenceNumber });
  // The moof's size does not depend on the offset's value: write it once to learn the size.
  const moofSize = box('moof', mfhd, traf(0)).length;
  const mdatHeader = boxHeader('mdat', document.length);
  const moof = box('moof', mfhd, traf(moofSize + mdatHeader.length));
  const out = new Uint8Array(moof.length + mdatHeader.length + document.length);
  out.set(moof, 0);
  out.set(mdatHeader, moof.length);
  out.set(document, moof.length + mdatHeader.length);
  return out;
}
