import type { TrackEncryption } from './model.js';
import { avcNalHeaderOnly, hevcNalHeaderOnly, type SliceHeaderSize } from './subsamples.js';

/** How a track's slice NAL units are told apart and how much of each stays clear. */
export function sliceHeaderSizeFor(video: NonNullable<TrackEncryption['video']>): SliceHeaderSize {
  return video.codec === 'avc' ? avcNalHeaderOnly : hevcNalHeaderOnly;
}
