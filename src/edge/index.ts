/**
 * smoothpub's edge entry (`smoothpub/edge`): the origin handler and the roots it can read
 * on a runtime without node's modules (a Cloudflare Worker on workerd). Nothing imported
 * from here touches node:fs, node:crypto, node:path or Buffer (test/edge/bundle.test.ts).
 */
export { createOrigin } from './edgeOrigin.js';
export type { Origin, OriginHandler, OriginOptions } from '../origin/createOrigin.js';
export type { Located, OriginRoot, Stamp } from '../origin/originRoot.js';
export { createRemoteRoot, type RemoteRootOptions } from '../origin/remoteRoot.js';
export { createHttpReader, type HttpReaderOptions } from '../stores/httpReader.js';
export type { ObjectInfo, ObjectReader } from '../stores/objectReader.js';
export { createR2Reader, createR2Root, type R2BucketLike, type R2ObjectLike, type R2RootOptions } from './r2Root.js';
export { ErrorCode, SmoothpubError, isSmoothpubError } from '../errors.js';
