export type { Chunk, Presentation, ProtectionHeader, QualityLevel, StreamIndex, StreamType } from './model.js';
export { writeManifest, type WriteManifestOptions } from './writeManifest.js';
export { readManifest, DEFAULT_TIMESCALE } from './readManifest.js';
export { MAX_CHUNKS_PER_STREAM } from './readChunks.js';
