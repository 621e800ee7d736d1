import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  DeleteObjectCommand,
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  GetBucketCorsCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type CORSRule,
} from '@aws-sdk/client-s3';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { directPut, errorDocument, rejectedPut, type DirectPutResponse } from './directPut.js';
import { allowsPlayers, playerCorsRule, type CorsRule } from './corsRules.js';
import { nonEmpty } from './nonEmpty.js';
import { redact } from './redact.js';
import { putMd5, type BodySource, type PutOptions, type Store, type StoredObject } from './store.js';
import { collectBody, type ObjectInfo, type ObjectReader } from './objectReader.js';
import { firstLine, storeError } from './storeFailure.js';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix without leading or trailing slash ('' for the bucket root). */
  prefix: string;
  /** Default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1 (wrong regions are followed by redirect). */
  region?: string;
  /** S3-compatible endpoint (s3rver, MinIO, other clouds). */
  endpoint?: string;
  /** Path-style addressing; default on when an endpoint is given. */
  forcePathStyle?: boolean;
  /** Requests in flight at once; the keep-alive socket pool is sized for it. Default 32. */
  concurrency?: number;
  /** Explicit credentials instead of the AWS SDK's default chain (environment, profiles, SSO, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Keys per listing request (default 1000, the service maximum). */
  listPageSize?: number;
  /** A request whose socket is idle this long (no upload progress, no answer) fails as retryable. Default 60 s. */
  stallTimeoutMs?: number;
}

/** PutBucketCors refuses more rules than this. */
const S3_MAX_CORS_RULES = 100;

/** A store in an S3 bucket (or an S3-compatible service), with the AWS SDK's default credential chain. */
export async function createS3Store(opts: S3StoreOptions): Promise<Store & ObjectReader> {
  const concurrency = Math.max(1, opts.concurrency ?? 32);
  // A few sockets beyond the puts in flight for listing and bucket calls.
  // `timeout` makes node close idle sockets a second before the server's Keep-Alive hint
  // (without it the hint is ignored, and a socket reused as the server closes it resets).
  const agentOptions = { keepAlive: true, maxSockets: concurrency + 4, maxFreeSockets: concurrency + 4, timeout: 30_000 };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const stallMs = opts.stallTimeoutMs ?? 60_000;
  const region = opts.region ?? nonEmpty(process.env.AWS_REGION) ?? nonEmpty(process.env.AWS_DEFAULT_REGION) ?? 'us-east-1';
  const client = new S3Client({
    region,
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
    ...(opts.credentials !== undefined && { credentials: opts.credentials }),
    // Publish owns retries (it counts them and backs off globally), so the SDK makes one try.
    maxAttempts: 1,
    followRegionRedirects: true,
    // Content-MD5 protects every put; the SDK's default CRC32 trailers (aws-chunked) are
    // not understood by many S3-compatible servers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      httpAgent,
      httpsAgent,
      // An idle timeout, not a total one: big bodies on slow links keep going while bytes move.
      socketTimeout: stallMs,
      connectionTimeout: Math.min(stallMs, 30_000),
    },
  });
  // SigV4 would hash every body with SHA-256 to sign it, on top of the MD5 we already send
  // as Content-MD5 (a signed header the store checks against the body): sign puts with
  // UNSIGNED-PAYLOAD, as S3 allows, and keep the integrity check without a second hash.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as { headers?: Record<string, string> };
      if (context.commandName === 'PutObjectCommand' && req.headers) req.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'smoothpubUnsignedPayload' },
  );
  const prefix = opts.prefix.replace(/^\/+|\/+$/g, '');
  const secrets = [opts.credentials?.secretAccessKey, opts.credentials?.sessionToken].filter((s): s is string => s !== undefined);
  const where = opts.endpoint === undefined ? `region ${region}` : `endpoint ${opts.endpoint}`;
  const description = redact(`s3://${opts.bucket}${prefix === '' ? '' : `/${prefix}`} (${where})`, process.env, secrets);
  const fail = (operation: string, e: unknown, key?: string, signal?: AbortSignal): SmoothpubError =>
    s3Error(e, { operation, store: description, secrets, ...(key !== undefined && { key }), ...(signal !== undefined && { signal }) });
  const Bucket = opts.bucket;
  const fullKey = (key: string): string => (prefix === '' ? key : `${prefix}/${key}`);
  const pathStyle = opts.forcePathStyle ?? opts.endpoint !== undefined;
  const objectUrl = (full: string): string => {
    const path = full.split('/').map(encodeURIComponent).join('/');
    if (opts.endpoint === undefined) return `https://${Bucket}.s3.${region}.amazonaws.com/${path}`;
    const base = new URL(opts.endpoint);
    if (!pathStyle) base.hostname = `${Bucket}.${base.hostname}`;
    return `${base.origin}${base.pathname.replace(/\/+$/, '')}${pathStyle ? `/${encodeURIComponent(Bucket)}` : ''}/${path}`;
  };

  const putWithSdk = async (fullKey: string, key: string, source: BodySource, options: PutOptions): Promise<void> => {
    const body = source();
    try {
      await client.send(
        new PutObjectCommand({
          Bucket,
          Key: fullKey,
          Body: body,
          ContentLength: options.size,
          ContentType: options.contentType,
          CacheControl: options.cacheControl,
          ContentMD5: Buffer.from(putMd5(options)).toString('base64'),
        }),
        options.signal === undefined ? {} : { abortSignal: options.signal },
      );
    } catch (e) {
      throw fail('put', e, key, options.signal);
    } finally {
      // A failed request may leave the file stream open.
      if (!(body instanceof Uint8Array) && !body.destroyed) body.destroy();
    }
  };

  // Puts go straight through node's http client where the object's URL is certain: an
  // explicit endpoint (the SDK adds nothing to it but the bucket), or AWS's regional
  // virtual-hosted URL of a DNS-safe bucket without FIPS, dual-stack or acceleration.
  // Anything else (ARNs, dotted buckets, other partitions) stays on the SDK's endpoint rules.
  let bucketRegion = region;
  const signer = new SignatureV4({ service: 's3', region: () => Promise.resolve(bucketRegion), credentials: () => client.config.credentials(), sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
  let direct: Promise<boolean> | undefined;
  const useDirect = (): Promise<boolean> =>
    (direct ??= (async () => {
      if (opts.endpoint !== undefined) return true;
      if (pathStyle || !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(Bucket) || !/^(?:us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+$/.test(region) || region.startsWith('us-gov-')) return false;
      const c = client.config as unknown as { useFipsEndpoint?: () => Promise<boolean>; useDualstackEndpoint?: () => Promise<boolean>; useAccelerateEndpoint?: boolean | (() => Promise<boolean>) };
      const accelerate = typeof c.useAccelerateEndpoint === 'function' ? await c.useAccelerateEndpoint() : c.useAccelerateEndpoint === true;
      return !((await c.useFipsEndpoint?.()) === true || (await c.useDualstackEndpoint?.()) === true || accelerate);
    })());
  const putUrl = (full: string): URL => {
    const path = full.split('/').map(encodeKeySegment).join('/');
    if (opts.endpoint === undefined) return new URL(`https://${Bucket}.s3.${bucketRegion}.amazonaws.com/${path}`);
    const base = new URL(opts.endpoint);
    if (!pathStyle) base.hostname = `${Bucket}.${base.hostname}`;
    return new URL(`${base.origin}${base.pathname.replace(/\/+$/, '')}${pathStyle ? `/${encodeKeySegment(Bucket)}` : ''}/${path}`);
  };

  const putObject = async (fullKey: string, key: string, source: BodySource, options: PutOptions): Promise<void> => {
    if (!(await useDirect())) return putWithSdk(fullKey, key, source, options);
    const url = putUrl(fullKey);
    let response: DirectPutResponse;
    const body = source();
    try {
      // SigV4 would hash every body with SHA-256 to sign it, on top of the MD5 we already
      // send as Content-MD5 (a signed header the store checks against the body): puts are
      // signed with UNSIGNED-PAYLOAD, as S3 allows, keeping the integrity check without a second hash.
      const signed = await signer.sign({
        method: 'PUT',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port !== '' && { port: Number(url.port) }),
        path: url.pathname,
        query: {},
        headers: {
          host: url.host,
          'content-length': String(options.size),
          'content-type': options.contentType,
          'cache-control': options.cacheControl,
          'content-md5': Buffer.from(putMd5(options)).toString('base64'),
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        },
      });
      response = await directPut({ url, headers: signed.headers, body, agent: url.protocol === 'https:' ? httpsAgent : httpAgent, stallMs, stallError: () => new PutTimeoutError(stallMs), ...(options.signal !== undefined && { signal: options.signal }) });
    } catch (e) {
      throw fail('put', e, key, options.signal);
    } finally {
      if (!(body instanceof Uint8Array) && !body.destroyed) body.destroy();
    }
    if (response.status >= 200 && response.status < 300) return;
    const { code, message } = errorDocument(response.text);
    // The bucket is in another region than the one configured: the SDK follows the redirect.
    if (opts.endpoint === undefined && (response.status === 301 || response.status === 307 || code === 'AuthorizationHeaderMalformed' || code === 'PermanentRedirect')) {
      direct = Promise.resolve(false);
      return putWithSdk(fullKey, key, source, options);
    }
    throw storeError({
      ...rejectedPut(response, code, message),
      store: description,
      key,
      throttled: THROTTLING_CODES.has(code ?? ''),
      secrets,
    });
  };

  return {
    description,

    async prepare() {
      try {
        const head = await client.send(new HeadBucketCommand({ Bucket }));
        // Where the SDK followed a redirect to the bucket's region, puts sign for that region.
        if (opts.endpoint === undefined && head.BucketRegion !== undefined && head.BucketRegion !== '') bucketRegion = head.BucketRegion;
        return { created: false };
      } catch (e) {
        if (statusOf(e) !== 404) throw fail('check bucket', e);
      }
      try {
        await client.send(
          new CreateBucketCommand({ Bucket, ...(region !== 'us-east-1' && opts.endpoint === undefined && { CreateBucketConfiguration: { LocationConstraint: region as 'eu-west-1' } }) }),
        );
      } catch (e) {
        // Another run created it meanwhile.
        if (!(e instanceof S3ServiceException && e.name === 'BucketAlreadyOwnedByYou')) throw fail('create bucket', e);
        return { created: false };
      }
      return { created: true };
    },

    async *list(under = ''): AsyncGenerator<StoredObject> {
      const base = [prefix, under.replace(/^\/+|\/+$/g, '')].filter((p) => p !== '').join('/');
      const listPrefix = base === '' ? undefined : `${base}/`;
      const skip = listPrefix?.length ?? 0;
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(new ListObjectsV2Command({ Bucket, ...(listPrefix !== undefined && { Prefix: listPrefix }), ...(token !== undefined && { ContinuationToken: token }), ...(opts.listPageSize !== undefined && { MaxKeys: opts.listPageSize }) }));
        } catch (e) {
          throw fail('list', e);
        }
        for (const item of page.Contents ?? []) {
          if (item.Key === undefined) continue;
          const md5 = md5FromEtag(item.ETag);
          yield { key: item.Key.slice(skip), size: item.Size ?? 0, ...(md5 !== undefined && { md5 }) };
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    },

    urlOf: (key) => objectUrl(fullKey(key)),

    async delete(key) {
      try {
        // S3 answers 204 whether or not the key existed.
        await client.send(new DeleteObjectCommand({ Bucket, Key: fullKey(key) }), { abortSignal: AbortSignal.timeout(stallMs) });
      } catch (e) {
        throw fail('delete', e, key);
      }
    },

    async head(key): Promise<ObjectInfo | undefined> {
      try {
        const r = await client.send(new HeadObjectCommand({ Bucket, Key: fullKey(key) }), { abortSignal: AbortSignal.timeout(stallMs) });
        return { size: r.ContentLength ?? 0, etag: r.ETag ?? '', lastModified: r.LastModified?.getTime() ?? 0 };
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw fail('read properties', e, key);
      }
    },

    async read(key, offset, length, ifMatch) {
      if (length <= 0) return new Uint8Array(0);
      try {
        const r = await client.send(
          new GetObjectCommand({ Bucket, Key: fullKey(key), Range: `bytes=${offset}-${offset + length - 1}`, ...(ifMatch !== undefined && { IfMatch: ifMatch }) }),
          { abortSignal: AbortSignal.timeout(stallMs) },
        );
        return r.Body ? await collectBody(r.Body as AsyncIterable<Uint8Array>, length) : new Uint8Array(0);
      } catch (e) {
        if (statusOf(e) === 416) return new Uint8Array(0);
        throw fail('read', e, key);
      }
    },

    put(key, body, options) {
      return putObject(prefix === '' ? key : `${prefix}/${key}`, key, body, options);
    },

    putAtRoot(key, body, options) {
      return putObject(key, key, body, options);
    },

    async headAtRoot(key) {
      try {
        const r = await client.send(new HeadObjectCommand({ Bucket, Key: key }), { abortSignal: AbortSignal.timeout(stallMs) });
        const md5 = md5FromEtag(r.ETag);
        return { key, size: r.ContentLength ?? 0, ...(md5 !== undefined && { md5 }) };
      } catch (e) {
        if (statusOf(e) === 404) return undefined;
        throw fail('read properties', e, key);
      }
    },

    async setCors(origins) {
      let existing: CORSRule[] = [];
      try {
        existing = (await client.send(new GetBucketCorsCommand({ Bucket }), { abortSignal: AbortSignal.timeout(stallMs) })).CORSRules ?? [];
      } catch (e) {
        if (!(e instanceof S3ServiceException && e.name === 'NoSuchCORSConfiguration')) throw fail('read CORS rules', e);
      }
      if (allowsPlayers(existing.map(fromS3Rule), origins)) return 'present';
      if (existing.length >= S3_MAX_CORS_RULES) {
        throw new SmoothpubError(
          ErrorCode.STORE_CORS_LIMIT,
          `${description}: the bucket already has ${existing.length} CORS rules (S3 allows ${S3_MAX_CORS_RULES}) and none lets ${origins.join(',')} GET and HEAD; add the origins to one of the rules yourself, or publish without --cors`,
        );
      }
      const ours = playerCorsRule(origins, false);
      const rule: CORSRule = { AllowedOrigins: ours.origins, AllowedMethods: ours.methods, AllowedHeaders: ours.allowedHeaders, ExposeHeaders: ours.exposedHeaders, MaxAgeSeconds: ours.maxAgeSeconds };
      try {
        // PutBucketCors replaces the whole configuration: the owner's rules go back as read.
        await client.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: [...existing, rule] } }), { abortSignal: AbortSignal.timeout(stallMs) });
      } catch (e) {
        throw fail('set CORS rules', e);
      }
      return 'added';
    },

    // No setPublicRead: bucket policies, ACLs and Block Public Access are the owner's business;
    // publish never reads or writes them.

    async close() {
      client.destroy();
    },
  };
}

function fromS3Rule(r: CORSRule): CorsRule {
  return { origins: r.AllowedOrigins ?? [], methods: r.AllowedMethods ?? [], allowedHeaders: r.AllowedHeaders ?? [], exposedHeaders: r.ExposeHeaders ?? [], maxAgeSeconds: r.MaxAgeSeconds ?? 0 };
}

/** A single-part upload's ETag is the hex MD5 of the object; a multipart one (`…-N`) is not. */
export function md5FromEtag(etag: string | undefined): string | undefined {
  const hex = etag?.replace(/^W\//, '').replace(/"/g, '');
  return hex !== undefined && /^[0-9a-f]{32}$/i.test(hex) ? Buffer.from(hex, 'hex').toString('base64') : undefined;
}

/** A put whose socket went quiet: named as the SDK names its socket timeouts, so it reads and retries the same. */
class PutTimeoutError extends Error {
  constructor(ms: number) {
    super(`no progress for ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

const THROTTLING_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded']);

/** A key segment as S3 signs it: RFC 3986 unreserved characters stay, everything else (parentheses too) is percent-encoded. */
function encodeKeySegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** SHA-256 (and its HMAC) for the signer, from node's crypto. */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytesOf(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

function bytesOf(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function statusOf(e: unknown): number | undefined {
  return e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
}

interface S3FailureContext {
  operation: string;
  store: string;
  secrets: readonly string[];
  key?: string;
  signal?: AbortSignal;
}

/** Any failure from the AWS SDK (a service exception, a socket error, an abort) as a StoreError. */
function s3Error(e: unknown, ctx: S3FailureContext): SmoothpubError {
  if (e instanceof SmoothpubError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const service = e instanceof S3ServiceException ? e : undefined;
  // A 5xx whose body is not S3's XML (a proxy, a load balancer) arrives as a plain Error
  // that still carries the response: its status must decide retries too.
  const raw = e as { $metadata?: { httpStatusCode?: number }; $response?: { headers?: Record<string, string> } };
  const status = service?.$metadata.httpStatusCode ?? raw.$metadata?.httpStatusCode;
  const socketCode = (err as NodeJS.ErrnoException).code;
  // Service errors are named by their code (SlowDown, NoSuchBucket); a HEAD's have no body, so only a status.
  const code = service !== undefined ? (service.name === 'Unknown' ? undefined : service.name) : (socketCode ?? (err.name === 'Error' ? undefined : err.name));
  const aborted = err.name === 'AbortError';
  const headers = service?.$response?.headers ?? raw.$response?.headers;
  return storeError({
    operation: ctx.operation,
    store: ctx.store,
    ...(ctx.key !== undefined && { key: ctx.key }),
    ...(status !== undefined && { status }),
    ...(code !== undefined && { code }),
    // An authentication failure's text can quote what was signed: the code says enough.
    ...(status !== 401 && status !== 403 && { detail: firstLine(err.message) ?? '' }),
    retryAfter: headers?.['retry-after'] ?? headers?.['Retry-After'],
    throttled: THROTTLING_CODES.has(code ?? ''),
    // The default chain found nothing (CredentialsProviderError), or a token could not be refreshed.
    credentialsFailed: service === undefined && /Credential|TokenProvider/.test(err.name),
    abortedByCaller: aborted && ctx.signal?.aborted === true,
    timedOut: (aborted && ctx.signal?.aborted !== true) || err.name === 'TimeoutError',
    secrets: ctx.secrets,
  });
}
