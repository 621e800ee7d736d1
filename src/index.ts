/**
 * smoothpub's library API: every CLI command is one of these calls.
 */
export { ErrorCode, SmoothpubError, isSmoothpubError, WarningCode, type ErrorCodeValue, type ErrorContext, type SmoothpubWarning, type WarningCodeValue } from './errors.js';
export * from './smooth/index.js';
export { indexFile } from './fragments/indexFile.js';
export { indexSource, type IndexOptions } from './fragments/indexSource.js';
export type { FragmentRef, SourceIndex, TrackIndex, TrackKind } from './fragments/types.js';
export { openFileSource, type FileSource } from './source/fileSource.js';
export type { ByteSource } from './source/source.js';
export { loadPresentation, type LoadOptions, type LoadedPresentation } from './plan/loadPresentation.js';
export { buildPresentation, writePresentationManifest, TIME_SCALE, type BuiltPresentation, type DuplicateTrack, type LevelBinding, type ManifestTimeline, type PresentationOptions } from './plan/buildPresentation.js';
export { buildPlan, type PlanOptions } from './plan/buildPlan.js';
export { codecsFor, frameRateOf, sarOf } from './formats/codecs.js';
export { languageTag } from './formats/languageTag.js';
export { writeMpd } from './formats/dash/writeMpd.js';
export { readMpd, type Mpd, type MpdAdaptationSet, type MpdPeriod, type MpdRepresentation, type MpdSegment, type ReadMpdOptions } from './formats/dash/readMpd.js';
export type { Plan, PlannedObject, ObjectBody } from './plan/plan.js';
export { inspectInputs, type InspectReport, type InspectedSource, type InspectedTrack, type Problem } from './inspect/inspectInputs.js';
export { packagePresentation, type PackageOptions, type PackageResult } from './package/packagePresentation.js';
export { remuxPresentation, type RemuxOptions, type RemuxResult } from './remux/remuxPresentation.js';
export { writePlanToFolder, type WriteOptions, type WriteProgress } from './package/writePlanToFolder.js';
export { startStaticServer, type StaticServer, type StaticServerOptions } from './play/staticServer.js';
export { verifyPresentation, VerifyCode, DEFAULT_VERIFY_CONCURRENCY, type VerifyOptions, type VerifyProgress, type VerifyReport, type VerifyProblem, type VerifyCodeValue } from './verify/index.js';
export { publishPresentation, planInputs, type PublishPresentationOptions } from './publish/publishPresentation.js';
export { publishPlan, DEFAULT_CONCURRENCY, type PublishEvent, type PublishOptions, type PublishSummary } from './publish/publishPlan.js';
export { createStore, type CreateStoreOptions } from './stores/createStore.js';
export { parseDestination, type ParsedDestination } from './stores/parseDestination.js';
export { createFolderStore } from './stores/folderStore.js';
export { StoreError, type Store, type StoredObject, type PutOptions, type BodySource } from './stores/store.js';
export { createOrigin, type Origin, type OriginOptions, type OriginHandler } from './origin/createOrigin.js';
export { openOriginRoot, type OpenRootOptions } from './origin/openOriginRoot.js';
export type { OriginRoot, Stamp } from './origin/originRoot.js';
export { createOriginServer, type OriginServerOptions } from './origin/nodeAdapter.js';
export { writeSidecar, readSidecar, sidecarPath, SIDECAR_SUFFIX } from './fragments/sidecar.js';
export { writeSidecarsFor, type SidecarWritten } from './fragments/sidecarInputs.js';
export { encodeLadder, presentationName, RENDITIONS_FOLDER, type EncodeOptions, type EncodeProgress, type EncodeResult, type EncodedRendition } from './encode/encodeLadder.js';
export { DEFAULT_LADDER, parseLadder, type Rung } from './encode/ladder.js';
