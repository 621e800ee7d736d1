import { createHmac } from 'node:crypto';
import type { SampleEntry } from '../bmff/stsd.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { ContentKey, EncryptionScheme, TrackEncryption } from './model.js';

/** What decides a track's encryption. */
export interface TrackEncryptionInput {
  kind: 'video' | 'audio' | 'text';
  sampleEntry: SampleEntry;
  scheme: EncryptionScheme;
  key: ContentKey;
  /**
   * Names the track among those sharing the key (e.g. `video_400000`: stream name and
   * bitrate): its IVs derive from the key, the KID and this label, so every run (package,
   * serve, a restarted publish) writes the same bytes.
   */
  label: string;
  /** A CPIX `explicitIV` (8 or 16 bytes): cenc starts from its first 8 bytes, cbcs uses it (16) as the constant IV. */
  explicitIv?: Uint8Array;
}

/** cbcs video: 1 block in 10 encrypted (ISO/IEC 23001-7 'cbcs' and Apple's SAMPLE-AES use 1:9 for video). */
export const CBCS_VIDEO_PATTERN: Readonly<{ crypt: number; skip: number }> = { crypt: 1, skip: 9 };

/**
 * A track's TrackEncryption. IVs are deterministic but unpredictable without the key: an
 * HMAC-SHA-256 keyed with the content key over the KID and the label. cenc: sample i of
 * fragment k has IV `ivBase + k * 2^32 + i`; tracks with one key get independent 64-bit
 * bases, and the 8-byte block counter after each IV keeps every counter block distinct. cbcs: one constant IV a track
 * (per-sample IV size 0), as Shaka Packager and Apple's tools write it.
 *
 * Audio and other non-video tracks are whole-sample encrypted, also with cbcs: no pattern
 * (tenc crypt 0, skip 0), every full 16-byte block encrypted and a trailing partial block
 * clear. That is what Shaka Packager writes for cbcs audio (its tenc says 0:0; it
 * encrypts the same bytes as smoothpub, test/protect/shakaPackager.test.ts) and what
 * Apple's sample encryption asks of audio ("all the 16-byte blocks").
 */
export function trackEncryptionFor(input: TrackEncryptionInput): TrackEncryption {
  const { kind, sampleEntry, scheme, key } = input;
  if (key.kid.length !== 16 || key.key.length !== 16) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `a content key needs a 16-byte KID and a 16-byte AES-128 key, got ${key.kid.length} and ${key.key.length} bytes`);
  }
  if (kind === 'text') {
    throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, `text track ${input.label} cannot be encrypted: Common Encryption of subtitles is not supported; leave text tracks clear`);
  }
  const derived = input.explicitIv ?? deriveIv(key, input.label);
  if (input.explicitIv !== undefined && input.explicitIv.length !== 16 && !(scheme === 'cenc' && input.explicitIv.length === 8)) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `an explicit IV for ${scheme} must be ${scheme === 'cenc' ? '8 or 16' : '16'} bytes, got ${input.explicitIv.length}`);
  }
  const enc: TrackEncryption = { scheme, key, ivBase: new DataView(derived.buffer, derived.byteOffset, 8).getBigUint64(0) };
  if (scheme === 'cbcs') enc.constantIv = derived.slice(0, 16);
  if (kind === 'video') {
    enc.video = videoSetup(sampleEntry, input.label);
    if (scheme === 'cbcs') enc.pattern = { ...CBCS_VIDEO_PATTERN };
  }
  return enc;
}

function deriveIv(key: ContentKey, label: string): Uint8Array {
  const mac = createHmac('sha256', key.key);
  mac.update('smoothpub iv\0');
  mac.update(key.kid);
  mac.update(label);
  return new Uint8Array(mac.digest());
}

const AVC = new Set(['avc1', 'avc3']);
const HEVC = new Set(['hvc1', 'hev1']);

function videoSetup(entry: SampleEntry, label: string): NonNullable<TrackEncryption['video']> {
  const format = entry.originalFormat ?? entry.format;
  if (AVC.has(format)) {
    const avcC = entry.avcC;
    if (avcC === undefined) {
      throw new SmoothpubError(ErrorCode.UNSUPPORTED_CODEC, `video track ${label}: its '${format}' sample entry has no avcC, so its NAL units cannot be found to leave their headers clear`);
    }
    return { codec: 'avc', nalLengthSize: avcC.nalLengthSize, parameterSets: [...avcC.sps, ...avcC.pps] };
  }
  if (HEVC.has(format)) {
    // hvcC's lengthSizeMinusOne; writers use 4 bytes almost always.
    return { codec: 'hevc', nalLengthSize: entry.hvcC?.nalLengthSize ?? 4, parameterSets: entry.hvcC?.parameterSets ?? [] };
  }
  throw new SmoothpubError(ErrorCode.UNSUPPORTED_CODEC, `video track ${label}: cannot encrypt '${format}': subsample encryption is implemented for H.264 (avc1/avc3) and HEVC (hvc1/hev1)`);
}
