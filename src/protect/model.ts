/**
 * Common Encryption (ISO/IEC 23001-7) as smoothpub applies it: the shapes every part of
 * protection agrees on. Keys come from `--key` or a CPIX document (keys.ts, cpix.ts);
 * each track gets a TrackEncryption; every fragment becomes a protected `moof` (senc,
 * saiz, saio and PIFF's sample encryption `uuid`) plus its `mdat`, encrypted in place
 * with the same size (protectFragment, encryptPayload); init segments get `encv`/`enca`
 * with `sinf` (protectInitSegment); the Manifest, MPD and playlists say how to get the
 * key (signalling.ts).
 */

/** `cenc`: AES-CTR, 8-byte IVs per sample. `cbcs`: AES-CBC, 1:9 pattern on video, one constant IV. */
export type EncryptionScheme = 'cenc' | 'cbcs';

export const ENCRYPTION_SCHEMES: readonly EncryptionScheme[] = ['cenc', 'cbcs'];

/** A content key: its 16-byte key ID and 16-byte AES-128 key. Secret: never printed, logged or written to JSON. */
export interface ContentKey {
  kid: Uint8Array;
  key: Uint8Array;
}

/** The track types a key may be limited to (`--key video=<kid>:<key>`, CPIX usage rules). */
export type KeyTrackType = 'video' | 'audio' | 'text';

/** A key and the tracks it is for (all when `trackType` is absent). */
export interface KeyAssignment {
  key: ContentKey;
  trackType?: KeyTrackType;
  /** A CPIX `explicitIV`: the IV to start from instead of one derived from the key. */
  explicitIv?: Uint8Array;
}

/** How one track is encrypted: everything its `tenc` and every fragment's `senc` follow from. */
export interface TrackEncryption {
  scheme: EncryptionScheme;
  key: ContentKey;
  /**
   * cenc: the 8-byte IV of sample i of the track's fragment k (its chunk number) is
   * `ivBase + k * 2^32 + i` (mod 2^64), so IVs are unique per key (a fragment holds fewer
   * than 2^32 samples) and the same on every run, and a fragment's IVs follow from its
   * number alone (serve protects the fragment asked and answers the bytes package wrote).
   */
  ivBase: bigint;
  /** cbcs: the 16-byte constant IV in `tenc` (per-sample IV size 0). */
  constantIv?: Uint8Array;
  /** cbcs video: 1 block encrypted in every 10 (crypt 1, skip 9); absent: every block. */
  pattern?: { crypt: number; skip: number };
  /**
   * Video: samples are NAL units (length-prefixed) whose headers (and, for AVC, slice
   * headers) stay in the clear; absent for audio, which is encrypted whole-sample.
   */
  video?: { codec: 'avc' | 'hevc'; nalLengthSize: number; parameterSets: Uint8Array[] };
}

/**
 * How to encrypt one fragment's `mdat` payload in place: plain data (typed arrays only),
 * so it can be handed to a writer thread. Sizes never change.
 */
export interface PayloadEncryption {
  scheme: EncryptionScheme;
  key: Uint8Array;
  /** Byte in the payload where the first sample starts (almost always 0). */
  start: number;
  sampleSizes: Uint32Array;
  /** 16 bytes a sample: the counter block (cenc: IV then zeros) or the CBC IV. */
  ivs: Uint8Array;
  pattern?: { crypt: number; skip: number };
  /** Clear and protected byte counts, pairs, every sample's in order; absent: whole samples. */
  subsamples?: Uint32Array;
  /** How many pairs each sample has (with `subsamples`). */
  subsampleCounts?: Uint16Array;
}

/** What a fragment becomes: a new head (protected `moof` and `mdat` header), then its payload encrypted by `encryption`. */
export interface ProtectedFragment {
  head: Uint8Array;
  /** Where the payload starts in the clear fragment's body: everything before it is replaced by `head`. */
  payloadStart: number;
  encryption: PayloadEncryption;
  sampleCount: number;
}

/** The DRM systems smoothpub signals, by their DASH-IF registered system IDs. */
export const SYSTEM_IDS = {
  playReady: '9a04f079-9840-4286-ab92-e65be0885f95',
  widevine: 'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed',
  fairPlay: '94ce86fb-07ff-4f43-adb8-93d2fa968ca2',
  clearKey: 'e2719d58-a985-b3c9-781a-b030af78d30e',
  /** W3C Common PSSH: key IDs only, what Clear Key players read. */
  common: '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b',
} as const;
