export type { Chunk, Presentation, ProtectionHeader, QualityLevel, StreamIndex, StreamType } from './model.js';
export { writeManifest, type WriteManifestOptions } from './writeManifest.js';
export { readManifest, DEFAULT_TIMESCALE } from './readManifest.js';
export { MAX_CHUNKS_PER_STREAM } from './readChunks.js';
export { formatFragmentUrl, fragmentKey, parseSmoothUrl, MAX_STREAM_NAME_LENGTH, type SmoothUrl } from './url.js';
export { clientAccessPolicyXml, crossDomainXml } from './policy.js';
