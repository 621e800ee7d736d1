import { UUID_TFRF } from '../bmff/piff.js';
import { TFHD_BASE_DATA_OFFSET } from '../bmff/tfhd.js';
import { writeTfrf } from '../bmff/tfrf.js';
import { TRUN_DATA_OFFSET } from '../bmff/trun.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { fullBoxFlags, spliceTraf, trafParts } from './spliceTraf.js';

/** A fragment's start time and duration, in its track's timescale (as the Manifest's t and d). */
export interface FragmentTime {
  time: bigint;
  duration: bigint;
}

/**
 * A live Smooth fragment (`moof` + `mdat`, one `traf`) with a PIFF `tfrf` at the end of its
 * `traf` announcing the fragments that follow it (version 1: 64-bit times, as live times in
 * 100 ns since 1970 need). dash.js's Smooth support never reloads a live Manifest: it
 * extends its timeline only from the first `tfrf` entry of each fragment it downloads, and
 * fails with MSS_NO_TFRF (error 200) on a live fragment without one; GStreamer's mssdemux
 * reads it too (docs/architecture.md, "Live presentations"). A `tfrf` already there is
 * replaced. The `moof` and `traf` sizes, the `trun` data offsets and any `saio` offsets
 * past it move with it; the `mdat` is byte-identical. `offset` places `fragment` in its
 * file for error messages.
 */
export function withTfrf(fragment: Uint8Array, next: readonly FragmentTime[], offset = 0): Uint8Array {
  const parts = trafParts(fragment, offset);
  const { traf, tfhd, truns } = parts;
  if (!tfhd) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'traf' has no 'tfhd' box", { offset: traf.offset, boxPath: 'moof/traf' });
  // An absolute base_data_offset, or a first run without a data offset, would leave the
  // samples where they were while the mdat moves: such a fragment needs rebuilding, not an edit.
  if (fullBoxFlags(fragment, tfhd, offset) & TFHD_BASE_DATA_OFFSET || truns.length === 0 || !(fullBoxFlags(fragment, truns[0]!, offset) & TRUN_DATA_OFFSET)) {
    throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, "cannot add a 'tfrf' to this fragment: its samples are not placed by data offsets from the 'moof' (tfhd base_data_offset, or a trun without data_offset)", { offset: traf.offset, boxPath: 'moof/traf' });
  }
  const tfrf = writeTfrf({ version: 1, entries: next.map((f) => ({ time: f.time, duration: f.duration })) });
  const old = parts.children.find((b) => b.type === 'uuid' && b.uuid === UUID_TFRF);
  const from = old ? old.offset - offset : traf.offset - offset + traf.size;
  const to = old ? from + old.size : from;
  return spliceTraf(fragment, offset, parts, from, to, tfrf);
}
