/** Stable error codes: users and scripts match on these, so never rename one. */
export const ErrorCode = {
  TRUNCATED_BOX: 'bmff.truncated-box',
  BAD_BOX_SIZE: 'bmff.bad-box-size',
  BAD_BOX: 'bmff.bad-box',
  MISSING_BOX: 'bmff.missing-box',
  NOT_FRAGMENTED: 'input.not-fragmented',
  UNSUPPORTED_CODEC: 'input.unsupported-codec',
  UNSUPPORTED_INPUT: 'input.unsupported',
  NO_TRACKS: 'input.no-tracks',
  READ_FAILED: 'input.read-failed',
  /** A library entry (`publish --list`) that is no presentation: not a `.ism`, not a folder of media or a packaged folder. */
  NOT_A_PRESENTATION: 'input.not-a-presentation',
  /** `publish --all` / `verify --all` found nothing to do under the prefix. */
  NO_PRESENTATIONS: 'input.no-presentations',
  /** An encrypted source whose fragments carry no IVs (ffmpeg 5.1's fragmented -encryption_scheme output): no client can decrypt it. */
  UNDECRYPTABLE_INPUT: 'input.undecryptable',
  /** An already-protected source with no protection header for the Smooth Manifest (.ismc, moov pssh or PIFF uuid): give one with --protection-header. */
  NO_PROTECTION_HEADER: 'input.no-protection-header',
  BAD_MFRA: 'index.bad-mfra',
  MISALIGNED: 'index.misaligned',
  BAD_ISM: 'smooth.bad-ism',
  BAD_MANIFEST: 'smooth.bad-manifest',
  BAD_URL: 'smooth.bad-url',
  /** An HLS playlist that breaks RFC 8216's syntax (the message names the line). */
  BAD_PLAYLIST: 'hls.bad-playlist',
  /** A DASH MPD that cannot be read or written: malformed, or naming its segments in a way smoothpub does not follow. */
  BAD_MPD: 'dash.bad-mpd',
  BAD_OPTION: 'cli.bad-option',
  /** The command line itself: an unknown command or option, a missing argument. */
  USAGE: 'cli.usage',
  OUTPUT_EXISTS: 'output.exists',
  WRITE_FAILED: 'output.write-failed',
  OUTPUT_NOT_A_DIRECTORY: 'output.not-a-directory',
  OUTPUT_NOT_WRITABLE: 'output.not-writable',
  OUTPUT_NO_SPACE: 'output.no-space',
  OUTPUT_PSEUDO_FILESYSTEM: 'output.pseudo-filesystem',
  PORT_IN_USE: 'net.port-in-use',
  CANNOT_LISTEN: 'net.cannot-listen',
  /** `serve --workers`: a worker process ended before it listened (at start, or replacements in a row). */
  SERVE_WORKER_FAILED: 'serve.worker-failed',
  BAD_DESTINATION: 'publish.bad-destination',
  STORE_AUTH: 'store.auth',
  STORE_NOT_FOUND: 'store.not-found',
  STORE_REQUEST: 'store.request-failed',
  AZURE_IDENTITY_MISSING: 'store.identity-missing',
  STORE_CORS_LIMIT: 'store.cors-limit',
  VERIFY_FAILED: 'verify.failed',
  ENCODE_FFMPEG_MISSING: 'encode.ffmpeg-missing',
  ENCODE_FAILED: 'encode.failed',
  /** A `--key` that is not `<kid>:<key>` of 16 bytes each (hex or base64); the message never holds the key. */
  BAD_KEY: 'protect.bad-key',
  /** Two keys for one track type, or one KID given with two different keys. */
  KEY_CONFLICT: 'protect.key-conflict',
  /** Keys were given, but none for a track type that is to be encrypted. */
  MISSING_KEY: 'protect.missing-key',
  /** A CPIX document that cannot be used: malformed, no content keys, a KID in one list missing from another. */
  BAD_CPIX: 'protect.bad-cpix',
  /** A CPIX document whose content keys are encrypted (pskc EncryptedValue): smoothpub takes clear keys only. */
  CPIX_ENCRYPTED: 'protect.cpix-encrypted',
  /** A CPIX DRMSystem whose system ID smoothpub cannot signal. */
  UNSUPPORTED_DRM_SYSTEM: 'protect.unsupported-system',
  /** A PlayReady Object or WRMHEADER that cannot be read or written as given. */
  BAD_PLAYREADY_HEADER: 'protect.bad-playready-header',
  /** Protection settings no format can signal as asked (FairPlay with cenc). */
  BAD_PROTECTION: 'protect.bad-protection',
  /** A protected presentation asked of something that cannot carry it (remux, a sidecar index). */
  PROTECTED_UNSUPPORTED: 'protect.unsupported',
  /** A video sample whose NAL units cannot be walked or whose slice header cannot be parsed, so its clear ranges are unknown. */
  ENCRYPT_BAD_SAMPLE: 'encrypt.bad-sample',
  /** A subtitle file (WebVTT, SRT, TTML) whose bytes are neither UTF-8 (with or without BOM) nor UTF-16 with a BOM. */
  TEXT_BAD_ENCODING: 'text.bad-encoding',
  /** A subtitle timestamp that cannot be read, or a cue that ends before it starts (the message names the line). */
  TEXT_BAD_TIMESTAMP: 'text.bad-timestamp',
  /** A subtitle file that breaks its format's syntax: no WEBVTT header, malformed XML, a TTML document without <tt>. */
  TEXT_MALFORMED: 'text.malformed',
  /** A subtitle file larger than smoothpub reads (MAX_SUBTITLE_BYTES): no real caption file comes near it. */
  TEXT_TOO_LARGE: 'text.too-large',
  /** A subtitle file whose format is given by neither the option, the extension nor the content. */
  TEXT_UNKNOWN_FORMAT: 'text.unknown-format',
  /** A live push that cannot be read: not ISO BMFF, a box out of order, a box larger than --max-fragment-size; the stream is dropped. */
  LIVE_BAD_PUSH: 'live.bad-push',
  /** A live fragment refused: its time goes backwards or overlaps what its level has, or it conflicts with a stored copy; the stream goes on. */
  LIVE_FRAGMENT_REFUSED: 'live.fragment-refused',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Stable codes of warnings: what a user should know about a result that is still produced. */
export const WarningCode = {
  /** A fragment's PIFF `tfxd` says another time or duration than its samples (ffmpeg's open GOP output). */
  TFXD_DISAGREES: 'index.tfxd-disagrees',
  /** Plain MP4 fragments far longer than `--fragment-duration`: the renditions share few keyframes. */
  FRAGMENT_DURATION: 'index.fragment-duration',
  /** A fragment that does not start at a sync sample (GStreamer's ismlmux): it cannot be a start or switch point. */
  NON_SYNC_START: 'index.non-sync-start',
  /** Cues of a subtitle file before the presentation's first fragment or after its end: left out. */
  TEXT_OUTSIDE_TIMELINE: 'text.outside-timeline',
  /** `serve --workers`: a worker process ended while serving; another takes its place. */
  WORKER_REPLACED: 'serve.worker-replaced',
  /** HLS of an `hev1` HEVC level: Apple's HLS specification asks for `hvc1`; the sample entry is passed through as it is. */
  HLS_HEV1: 'hls.hev1',
} as const;

export type WarningCodeValue = (typeof WarningCode)[keyof typeof WarningCode];

/** A warning as plain data: the same shape as an error's, and nothing stops. */
export interface SmoothpubWarning {
  code: WarningCodeValue;
  message: string;
  context: ErrorContext;
}

/** Where an error happened, as far as it is known. */
export interface ErrorContext {
  file?: string;
  offset?: number;
  boxPath?: string;
  trackId?: number;
  key?: string;
  /** 1-based line of a text document (an HLS playlist). */
  line?: number;
  /** The address a server could not listen on. */
  host?: string;
  port?: number;
}

/** The one error type smoothpub throws on purpose; `code` is stable, the message human. */
export class SmoothpubError extends Error {
  readonly code: ErrorCodeValue;
  readonly context: ErrorContext;

  constructor(code: ErrorCodeValue, message: string, context: ErrorContext = {}, options?: ErrorOptions) {
    super(message + describeContext(context), options);
    this.name = 'SmoothpubError';
    this.code = code;
    this.context = context;
  }

  /** A copy with more context (e.g. the file name, added by the layer that knows it). */
  withContext(extra: ErrorContext): SmoothpubError {
    return new SmoothpubError(this.code, this.baseMessage(), { ...extra, ...this.context }, { cause: this.cause });
  }

  /** The error as plain data, to rebuild it on another thread with `fromData`. */
  toData(): SmoothpubErrorData {
    return { code: this.code, message: this.baseMessage(), context: this.context };
  }

  static fromData(data: SmoothpubErrorData): SmoothpubError {
    return new SmoothpubError(data.code, data.message, data.context);
  }

  toJSON(): { code: string; message: string; context: ErrorContext } {
    return { code: this.code, message: this.message, context: this.context };
  }

  /** The message without the context appended by the constructor. */
  private baseMessage(): string {
    return this.message.slice(0, this.message.length - describeContext(this.context).length);
  }
}

/** A SmoothpubError as structured-clonable data (message without its context suffix). */
export interface SmoothpubErrorData {
  code: ErrorCodeValue;
  message: string;
  context: ErrorContext;
}

/** ` (file, byte 123, track 1)`: the suffix every message carries, warnings included. */
export function describeContext(c: ErrorContext): string {
  const parts: string[] = [];
  if (c.file !== undefined) parts.push(c.file);
  if (c.offset !== undefined) parts.push(`byte ${c.offset}`);
  if (c.boxPath !== undefined) parts.push(`box ${c.boxPath}`);
  if (c.trackId !== undefined) parts.push(`track ${c.trackId}`);
  if (c.key !== undefined) parts.push(`object ${c.key}`);
  if (c.line !== undefined) parts.push(`line ${c.line}`);
  if (c.host !== undefined) parts.push(`host ${c.host}`);
  if (c.port !== undefined) parts.push(`port ${c.port}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

export function isSmoothpubError(e: unknown): e is SmoothpubError {
  return e instanceof SmoothpubError;
}
