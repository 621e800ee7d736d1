export { startIngest, DEFAULT_FINALIZE_AFTER_MS, DEFAULT_LIVE_MANIFEST_CACHE_CONTROL, type Ingest, type IngestOptions } from './ingestServer.js';
export { PushParser, DEFAULT_MAX_BOX_SIZE, type PushedBox } from './pushParser.js';
export { LivePresentation, type TrackDescription, type FragmentOutcome, type LiveOutputOptions } from './livePresentation.js';
export { recoverPresentation } from './recoverPresentation.js';
export type { LiveEvent, FragmentPlace } from './liveEvent.js';
export type { LiveLevel, LiveStream, StoredFragment } from './liveLevel.js';
export type { IngestStore } from './readStored.js';
