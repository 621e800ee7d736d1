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
} as const;

export type VerifyCodeValue = (typeof VerifyCode)[keyof typeof VerifyCode];

/** One missing or corrupt object, named by its URL (query secrets redacted). */
export interface VerifyProblem {
  url: string;
  code: VerifyCodeValue;
  message: string;
}
