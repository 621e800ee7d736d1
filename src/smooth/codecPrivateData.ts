import type { AvcC } from '../bmff/avcc.js';
import type { Esds } from '../bmff/esds.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { toHex as toLowerHex } from '../bmff/box.js';
import { AVCC_FIX, SUPPORTED_CODECS } from './fourCCFor.js';

/** Uppercase hex, as Smooth manifests spell CodecPrivateData. */
const toHex = (bytes: Uint8Array): string => toLowerHex(bytes).toUpperCase();

const START_CODE = Uint8Array.of(0, 0, 0, 1);

/**
 * H.264 CodecPrivateData: Annex-B `00000001 SPS... 00000001 PPS...` in hex.
 * Every SPS comes before every PPS: dash.js finds the profile by a regex for the
 * first SPS start code, GStreamer takes the first unit as SPS and the next as PPS.
 */
export function h264CodecPrivateData(avcC: AvcC): string {
  if (avcC.sps.length === 0 || avcC.pps.length === 0) {
    throw new SmoothpubError(
      ErrorCode.UNSUPPORTED_CODEC,
      `H.264: expected SPS and PPS in avcC (Smooth clients take them from CodecPrivateData), found ${avcC.sps.length} SPS and ${avcC.pps.length} PPS; supported: ${SUPPORTED_CODECS}. Put in-band parameter sets in the avcC without re-encoding: ${AVCC_FIX}`,
      { boxPath: 'avcC' },
    );
  }
  return [...avcC.sps, ...avcC.pps].map((unit) => toHex(START_CODE) + toHex(unit)).join('');
}

/** AAC CodecPrivateData: the AudioSpecificConfig in hex. */
export function aacCodecPrivateData(esds: Esds): string {
  if (esds.decoderSpecificInfo.length === 0) {
    throw new SmoothpubError(ErrorCode.BAD_BOX, 'AAC: expected an AudioSpecificConfig (DecoderSpecificInfo) in esds, found none', { boxPath: 'esds' });
  }
  return toHex(esds.decoderSpecificInfo);
}
