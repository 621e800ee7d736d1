/**
 * The Smooth Streaming presentation, as the client Manifest describes it
 * (MS-SSTR 2.2.2). Times are bigint in the stream's timescale.
 */
export interface Presentation {
  majorVersion: number;
  minorVersion: number;
  timeScale: number;
  duration: bigint;
  isLive?: boolean;
  /** Live only: how many fragments ahead a tfrf announces (MS-SSTR 2.2.2.1 LookaheadCount; IIS's LookAheadFragmentCount). */
  lookaheadCount?: number;
  /** Live only: the DVR window in the presentation timescale; 0 means unbounded. */
  dvrWindowLength?: bigint;
  streams: StreamIndex[];
  /** Content protection headers, kept opaque (smoothpub packages clear content). */
  protection?: ProtectionHeader[];
}

export interface ProtectionHeader {
  /** The DRM system's UUID, as written in the manifest. */
  systemId: string;
  /** The header itself, base64 as in the manifest. */
  data: string;
}

export type StreamType = 'video' | 'audio' | 'text';

export interface Chunk {
  /** Start time; always known here (the reader fills implicit ones in). */
  t: bigint;
  d: bigint;
}

export interface StreamIndex {
  type: StreamType;
  name: string;
  /** Only when it differs from the presentation's. */
  timeScale?: number;
  language?: string;
  subtype?: string;
  /** e.g. `QualityLevels({bitrate})/Fragments(video={start time})` */
  url: string;
  maxWidth?: number;
  maxHeight?: number;
  displayWidth?: number;
  displayHeight?: number;
  qualityLevels: QualityLevel[];
  chunks: Chunk[];
}

export interface QualityLevel {
  index: number;
  bitrate: number;
  fourCC: string;
  codecPrivateData: string;
  maxWidth?: number;
  maxHeight?: number;
  samplingRate?: number;
  channels?: number;
  bitsPerSample?: number;
  packetSize?: number;
  audioTag?: number;
  nalUnitLengthField?: number;
  /** v1 manifests describe some audio by a hex WAVEFORMATEX instead of CodecPrivateData. */
  waveFormatEx?: string;
}
