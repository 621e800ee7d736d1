import { writeMfro } from '../bmff/mfro.js';
import { writeTfra, type TfraEntry } from '../bmff/tfra.js';
import { box } from '../bmff/writer.js';

/**
 * `mfra` with one `tfra` (version 1: offsets past 4 GiB) and the closing `mfro`, so
 * readers find every `moof` from the file's last 16 bytes.
 */
export function writeMfra(trackId: number, entries: TfraEntry[]): Uint8Array {
  const tfra = writeTfra({ version: 1, trackId, entries });
  const mfroSize = 16;
  return box('mfra', tfra, writeMfro({ mfraSize: 8 + tfra.length + mfroSize }));
}

/**
 * The time a `tfra` entry gives a fragment: its source time, but 0 for a negative one
 * (AAC priming), as ffmpeg writes; the field is unsigned.
 */
export function tfraTime(time: bigint): bigint {
  return time < 0n ? 0n : time;
}
