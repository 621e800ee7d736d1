export type { Chunk, Presentation, ProtectionHeader, QualityLevel, StreamIndex, StreamType } from './model.js';
export { writeManifest, type WriteManifestOptions } from './writeManifest.js';
export { readManifest, DEFAULT_TIMESCALE } from './readManifest.js';
export { MAX_CHUNKS_PER_STREAM } from './readChunks.js';
export { formatFragmentUrl, fragmentKey, parseSmoothUrl, MAX_STREAM_NAME_LENGTH, type SmoothUrl } from './url.js';
export { clientAccessPolicyXml, crossDomainXml } from './policy.js';
export { readIsm, SMIL_NAMESPACE, type Ism, type IsmEntry, type IsmKind } from './ism.js';
export { writeIsm } from './writeIsm.js';
