import type { Format } from '../formats/model.js';

/** Stable problem codes of `verify`: scripts match on these, so never rename one. */
export const VerifyCode = {
  MANIFEST: 'verify.manifest',
  HTTP_STATUS: 'verify.http-status',
  NETWORK: 'verify.network',
  TRUNCATED: 'verify.truncated',
  NOT_FRAGMENT: 'verify.not-fragment',
  TIME_MISMATCH: 'verify.time-mismatch',
  DURATION_MISMATCH: 'verify.duration-mismatch',
  TRACK_MISMATCH: 'verify.track-mismatch',
  NON_SYNC_START: 'verify.non-sync-start',
  CORS: 'verify.cors',
  POLICY: 'verify.policy',
  /** A fragment named by an MPD or a playlist has no `tfdt`: DASH and HLS players place samples by it. */
  MISSING_TFDT: 'verify.missing-tfdt',
  /** An init segment that is not `ftyp` + `moov` with `mvex` and one track. */
  INIT_SEGMENT: 'verify.init-segment',
  /** An init segment's track timescale differs from the one its MPD (or the Smooth Manifest) states. */
  TIMESCALE_MISMATCH: 'verify.timescale-mismatch',
  /** A segment timeline with a gap or an overlap, or ending before its Period does. */
  TIMELINE: 'verify.timeline',
  /** A playlist breaking an RFC 8216 / HLS authoring rule (the rule is named in the message). */
  HLS_RULE: 'verify.hls-rule',
  /** The MPD or the playlists name other fragment objects than the Smooth Manifest. */
  FORMAT_MISMATCH: 'verify.format-mismatch',
  /** A media-services alias (`manifest(format=...)`, `manifest`) missing or not the same bytes as its document. */
  ALIAS: 'verify.alias',
  /** An MPD or a playlist served with another Content-Type than its format's. */
  CONTENT_TYPE: 'verify.content-type',
  /** An encrypted fragment whose senc/saiz/saio (or PIFF sample encryption) disagree with its samples or each other. */
  SAMPLE_ENCRYPTION: 'verify.sample-encryption',
} as const;

export type VerifyCodeValue = (typeof VerifyCode)[keyof typeof VerifyCode];

/** One missing or corrupt object, named by its URL (query secrets redacted). */
export interface VerifyProblem {
  url: string;
  code: VerifyCodeValue;
  message: string;
  /**
   * The formats whose documents name the object (or raised the problem), when more than
   * one format was verified; absent when only one was.
   */
  formats?: Format[];
}
