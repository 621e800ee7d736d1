import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  AnonymousCredential,
  BlobServiceClient,
  RestError,
  StorageSharedKeyCredential,
  newPipeline,
  type BlockBlobClient,
  type BlockBlobUploadOptions,
  type CorsRule as AzureCorsRule,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { loadAzureIdentity } from './loadAzureIdentity.js';
import { nonEmpty } from './nonEmpty.js';
import { redact } from './redact.js';
import { allowsPlayers, playerCorsRule, type CorsRule } from './corsRules.js';
import { putMd5, type BodySource, type PublicAccess, type PutOptions, type Store, type StoredObject } from './store.js';
import { collectBody, type ObjectInfo, type ObjectReader } from './objectReader.js';
import { firstLine, storeError } from './storeFailure.js';
import { directPut, errorDocument, rejectedPut, type DirectPutResponse } from './directPut.js';

export interface AzureStoreOptions {
  container: string;
  /** Key prefix without leading or trailing slash ('' for the container root). */
  prefix: string;
  /** Blob service URL, e.g. Azurite's `http://127.0.0.1:10000/devstoreaccount1`. */
  endpoint?: string;
  /** Requests in flight at once; the keep-alive socket pool is sized for it. Default 32. */
  concurrency?: number;
  /** Where credentials come from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Blobs per listing request (default 5000, the service maximum). */
  listPageSize?: number;
  /** A put that makes no upload progress (and gets no answer) for this long is aborted as retryable. Default 60 s. */
  stallTimeoutMs?: number;
}

/** Above this a body goes up as staged blocks; below it, one Put Blob request. */
const SINGLE_PUT_LIMIT = 256 * 1024 * 1024;
const BLOCK_SIZE = 8 * 1024 * 1024;
const STALL_TIMEOUT_MS = 60_000;
/** Set Blob Service Properties refuses more CORS rules than this. */
const AZURE_MAX_CORS_RULES = 5;
/** Idle keep-alive sockets close after this, or a second before the server's Keep-Alive hint. */
const IDLE_SOCKET_TIMEOUT_MS = 30_000;
/** The REST API version direct puts ask for: the one @azure/storage-blob 12.32 sends with every other request. */
const SERVICE_VERSION = '2026-04-06';

interface Credentials {
  account: string;
  serviceUrl: string;
  credential: NonNullable<Parameters<typeof newPipeline>[0]>;
  /** Values to redact from messages beyond the environment's. */
  secrets: string[];
}

/**
 * A store in an Azure Blob container. Credentials, in order: AZURE_STORAGE_CONNECTION_STRING;
 * AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN; else
 * DefaultAzureCredential for AZURE_STORAGE_ACCOUNT (Entra ID: needs the optional @azure/identity).
 */
export async function createAzureStore(opts: AzureStoreOptions): Promise<Store & ObjectReader> {
  const env = opts.env ?? process.env;
  const creds = await resolveCredentials(opts, env);
  const agent = keepAliveAgent(creds.serviceUrl, opts.concurrency ?? 32);
  const pipelineOptions: StoragePipelineOptions & { agent: HttpAgent } = {
    // Publish owns retries (it counts them and backs off globally), so the SDK makes one try.
    retryOptions: { maxTries: 1 },
    keepAliveOptions: { enable: true },
    userAgentOptions: { userAgentPrefix: 'smoothpub' },
    // Not in StoragePipelineOptions' type, but passed on to core-rest-pipeline, which honours it.
    agent,
  };
  const pipeline = newPipeline(creds.credential, pipelineOptions);
  const service = new BlobServiceClient(creds.serviceUrl, pipeline);
  const container = service.getContainerClient(opts.container);
  const prefix = opts.prefix.replace(/^\/+|\/+$/g, '');
  const description = redact(`az://${opts.container}${prefix === '' ? '' : `/${prefix}`} (account ${creds.account})`, env, creds.secrets);
  const fail = (operation: string, e: unknown, key?: string, signal?: AbortSignal): SmoothpubError =>
    azureError(e, { operation, store: description, secrets: creds.secrets, env, ...(key !== undefined && { key }), ...(signal !== undefined && { signal }) });
  const fullKey = (key: string): string => (prefix === '' ? key : `${prefix}/${key}`);

  const stallMs = opts.stallTimeoutMs ?? STALL_TIMEOUT_MS;

  // Put Blob goes straight through node's http client (directPut.ts) with a shared key or a
  // SAS; an Entra ID token stays with the SDK, which fetches and refreshes it.
  const credential = creds.credential;
  const signer: ((url: URL, headers: Record<string, string>) => void) | undefined =
    credential instanceof StorageSharedKeyCredential ? (url, headers) => (headers.authorization = sharedKey(credential, url, headers)) : credential instanceof AnonymousCredential ? () => undefined : undefined;
  const putDirect = async (blobUrl: string, key: string, source: BodySource, options: PutOptions): Promise<void> => {
    const url = new URL(blobUrl);
    const md5 = Buffer.from(putMd5(options)).toString('base64');
    const headers: Record<string, string> = {
      'content-length': String(options.size),
      // Put Blob checks Content-MD5 against the bytes it received; x-ms-blob-content-md5 is what listings show.
      'content-md5': md5,
      'x-ms-blob-cache-control': options.cacheControl,
      'x-ms-blob-content-md5': md5,
      'x-ms-blob-content-type': options.contentType,
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-date': new Date().toUTCString(),
      'x-ms-version': SERVICE_VERSION,
    };
    signer!(url, headers);
    const body = source();
    let response: DirectPutResponse;
    try {
      response = await directPut({ url, headers, body, agent, stallMs, stallError: () => new StallError(stallMs), ...(options.signal !== undefined && { signal: options.signal }) });
    } catch (e) {
      throw fail('put', e, key, options.signal);
    } finally {
      // A failed request may leave the file stream open.
      if (!(body instanceof Uint8Array) && !body.destroyed) body.destroy();
    }
    if (response.status >= 200 && response.status < 300) return;
    const header = response.headers['x-ms-error-code'];
    const { code: documentCode, message } = errorDocument(response.text);
    const code = (Array.isArray(header) ? header[0] : header) ?? documentCode;
    throw storeError({
      ...rejectedPut(response, code, message),
      store: description,
      key,
      throttled: code === 'ServerBusy',
      secrets: creds.secrets,
      env,
    });
  };

  let rootReady: Promise<void> | undefined;
  const root = service.getContainerClient('$root');

  return {
    description,

    async prepare() {
      try {
        const r = await container.createIfNotExists({ abortSignal: AbortSignal.timeout(stallMs) });
        return { created: r.succeeded };
      } catch (e) {
        throw fail('create container', e);
      }
    },

    async *list(under = ''): AsyncGenerator<StoredObject> {
      const base = [prefix, under.replace(/^\/+|\/+$/g, '')].filter((p) => p !== '').join('/');
      const listPrefix = base === '' ? undefined : `${base}/`;
      const skip = listPrefix?.length ?? 0;
      // One stall timer for the whole listing, restarted by every page that arrives.
      const stall = new AbortController();
      const timer = setTimeout(() => stall.abort(), stallMs);
      const pages = container
        .listBlobsFlat({ abortSignal: stall.signal, ...(listPrefix !== undefined && { prefix: listPrefix }) })
        .byPage({ maxPageSize: opts.listPageSize ?? 5000 });
      try {
        for (;;) {
          let page;
          try {
            page = await pages.next();
          } catch (e) {
            throw fail('list', e);
          }
          timer.refresh();
          if (page.done === true) return;
          for (const item of page.value.segment.blobItems) {
            const md5 = item.properties.contentMD5;
            yield {
              key: item.name.slice(skip),
              size: item.properties.contentLength ?? 0,
              ...(md5 !== undefined && md5.length > 0 && { md5: Buffer.from(md5).toString('base64') }),
            };
          }
        }
      } finally {
        clearTimeout(timer);
      }
    },

    async head(key): Promise<ObjectInfo | undefined> {
      try {
        const p = await container.getBlobClient(fullKey(key)).getProperties({ abortSignal: AbortSignal.timeout(stallMs) });
        return { size: p.contentLength ?? 0, etag: p.etag ?? '', lastModified: p.lastModified?.getTime() ?? 0 };
      } catch (e) {
        if (e instanceof RestError && e.statusCode === 404) return undefined;
        throw fail('read properties', e, key);
      }
    },

    urlOf: (key) => container.getBlobClient(fullKey(key)).url,

    async delete(key) {
      try {
        await container.getBlobClient(fullKey(key)).deleteIfExists({ abortSignal: AbortSignal.timeout(stallMs) });
      } catch (e) {
        throw fail('delete', e, key);
      }
    },

    async read(key, offset, length, ifMatch) {
      if (length <= 0) return new Uint8Array(0);
      try {
        const r = await container.getBlobClient(fullKey(key)).download(offset, length, {
          abortSignal: AbortSignal.timeout(stallMs),
          ...(ifMatch !== undefined && { conditions: { ifMatch } }),
        });
        return r.readableStreamBody ? await collectBody(r.readableStreamBody as AsyncIterable<Uint8Array>, length) : new Uint8Array(0);
      } catch (e) {
        // Azurite answers a range starting at the end with 416, where the service gives 0 bytes.
        if (e instanceof RestError && e.statusCode === 416) return new Uint8Array(0);
        throw fail('read', e, key);
      }
    },

    async put(key, body, options) {
      const blob = container.getBlockBlobClient(fullKey(key));
      if (signer !== undefined && options.size <= SINGLE_PUT_LIMIT) return putDirect(blob.url, key, body, options);
      try {
        await upload(blob, body, options, stallMs);
      } catch (e) {
        throw fail('put', e, key, options.signal);
      }
    },

    async putAtRoot(key, body, options) {
      // Policy files exist to be fetched anonymously (Silverlight and Flash clients), so a
      // `$root` created here is public; an existing one keeps the access its owner chose.
      rootReady ??= root.createIfNotExists({ access: 'blob', abortSignal: AbortSignal.timeout(stallMs) }).then(
        () => undefined,
        (e: unknown) => {
          rootReady = undefined;
          throw fail('create container $root', e);
        },
      );
      await rootReady;
      const blob = root.getBlockBlobClient(key);
      if (signer !== undefined && options.size <= SINGLE_PUT_LIMIT) return putDirect(blob.url, `$root/${key}`, body, options);
      try {
        await upload(blob, body, options, stallMs);
      } catch (e) {
        throw fail('put', e, `$root/${key}`, options.signal);
      }
    },

    async headAtRoot(key) {
      try {
        const p = await root.getBlobClient(key).getProperties({ abortSignal: AbortSignal.timeout(stallMs) });
        const md5 = p.contentMD5;
        return { key, size: p.contentLength ?? 0, ...(md5 !== undefined && md5.length > 0 && { md5: Buffer.from(md5).toString('base64') }) };
      } catch (e) {
        // No blob, or no `$root` container at all.
        if (e instanceof RestError && e.statusCode === 404) return undefined;
        throw fail('read properties', e, `$root/${key}`);
      }
    },

    async setCors(origins) {
      const ours = playerCorsRule(origins, true);
      let current;
      try {
        current = await service.getProperties({ abortSignal: AbortSignal.timeout(stallMs) });
      } catch (e) {
        throw fail('read CORS rules', e);
      }
      const existing = current.cors ?? [];
      if (allowsPlayers(existing.map(fromAzureRule), origins)) return 'present';
      if (existing.length >= AZURE_MAX_CORS_RULES) {
        throw new SmoothpubError(
          ErrorCode.STORE_CORS_LIMIT,
          `${description}: the account already has ${existing.length} CORS rules (the service allows ${AZURE_MAX_CORS_RULES}) and none lets ${origins.join(',')} GET and HEAD; add the origins to one of the rules yourself, or publish without --cors`,
        );
      }
      try {
        // Only `cors` is sent: Set Blob Service Properties keeps every element a request
        // leaves out (logging, metrics, static website, delete retention, default version).
        await service.setProperties({ cors: [...existing, toAzureRule(ours)] }, { abortSignal: AbortSignal.timeout(stallMs) });
      } catch (e) {
        throw fail('set CORS rules', e);
      }
      return 'added';
    },

    async setPublicRead() {
      // Set Container ACL replaces the whole ACL: public access and the stored access
      // policies together. Sent without the policies it deletes them, and every SAS token
      // made from one (`si=`) stops working. So read the ACL and send its policies back;
      // the condition makes a change someone else made since that read fail (412) rather
      // than be overwritten, and the ACL is read again.
      for (let attempt = 1; ; attempt++) {
        let acl;
        try {
          acl = await container.getAccessPolicy({ abortSignal: AbortSignal.timeout(stallMs) });
        } catch (e) {
          throw fail('read access policy', e);
        }
        const before: PublicAccess = acl.blobPublicAccess ?? 'none';
        const storedAccessPolicies = acl.signedIdentifiers.length;
        // `container` (blobs and listings) already includes `blob`: never lower it.
        if (before !== 'none') return { before, after: before, storedAccessPolicies };
        try {
          await container.setAccessPolicy('blob', acl.signedIdentifiers, {
            abortSignal: AbortSignal.timeout(stallMs),
            ...(acl.lastModified !== undefined && { conditions: { ifUnmodifiedSince: acl.lastModified } }),
          });
          return { before, after: 'blob', storedAccessPolicies };
        } catch (e) {
          if (e instanceof RestError && e.statusCode === 412 && attempt < 3) continue;
          throw fail('set public read access', e);
        }
      }
    },

    async close() {
      agent.destroy();
    },
  };
}

function fromAzureRule(r: AzureCorsRule): CorsRule {
  const list = (v: string): string[] => v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return { origins: list(r.allowedOrigins), methods: list(r.allowedMethods), allowedHeaders: list(r.allowedHeaders), exposedHeaders: list(r.exposedHeaders), maxAgeSeconds: r.maxAgeInSeconds };
}

function toAzureRule(r: CorsRule): AzureCorsRule {
  return { allowedOrigins: r.origins.join(','), allowedMethods: r.methods.join(','), allowedHeaders: r.allowedHeaders.join(','), exposedHeaders: r.exposedHeaders.join(','), maxAgeInSeconds: r.maxAgeSeconds };
}

/**
 * The SDK's default agent has no socket limit and keeps idle sockets forever: node honours
 * a server's `Keep-Alive: timeout=5` hint only when the agent has a timeout of its own, so
 * a socket reused just as the server closes it fails with ECONNRESET. With `timeout` set,
 * idle sockets close a second before the server's announced limit.
 */
function keepAliveAgent(serviceUrl: string, concurrency: number): HttpAgent {
  // A few sockets beyond the puts in flight for listing and container calls.
  const sockets = Math.max(1, concurrency) + 4;
  const options = { keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, timeout: IDLE_SOCKET_TIMEOUT_MS };
  return serviceUrl.startsWith('https:') ? new HttpsAgent(options) : new HttpAgent(options);
}

async function upload(client: BlockBlobClient, source: BodySource, options: PutOptions, stallMs: number): Promise<void> {
  // The SDK has only a whole-request timeout, wrong for big bodies on slow links; a dead
  // connection would otherwise hang a put until TCP gives up (many minutes).
  const stall = new AbortController();
  const timer = setTimeout(() => stall.abort(new StallError(stallMs)), stallMs);
  const abortSignal = options.signal === undefined ? stall.signal : AbortSignal.any([options.signal, stall.signal]);
  const md5 = putMd5(options);
  const blobHTTPHeaders = { blobContentType: options.contentType, blobCacheControl: options.cacheControl, blobContentMD5: md5 };
  const common = { blobHTTPHeaders, abortSignal, onProgress: () => timer.refresh() };
  const body = source();
  try {
    if (body instanceof Uint8Array) {
      await client.upload(body, options.size, withTransactionalMd5(common, md5));
    } else if (options.size > SINGLE_PUT_LIMIT) {
      // Staged blocks: the service checks each block; blobContentMD5 is stored for listings.
      await client.uploadStream(body, BLOCK_SIZE, 4, common);
    } else {
      await client.upload(() => body, options.size, withTransactionalMd5(common, md5));
    }
  } catch (e) {
    throw stall.signal.aborted && !(options.signal?.aborted ?? false) ? stall.signal.reason : e;
  } finally {
    clearTimeout(timer);
    // A failed request may leave the file stream open.
    if (!(body instanceof Uint8Array) && !body.destroyed) body.destroy();
  }
}

/**
 * The Shared Key signature of a request (Blob service, version 2015-02-21 or later): the
 * standard headers in their fixed order, then every x-ms- header sorted, then the path.
 * `headers` are lower-case and hold no empty x-ms- values; the request has no query.
 */
function sharedKey(credential: StorageSharedKeyCredential, url: URL, headers: Record<string, string>): string {
  const standard = ['content-encoding', 'content-language', 'content-length', 'content-md5', 'content-type', 'date', 'if-modified-since', 'if-match', 'if-none-match', 'if-unmodified-since', 'range'].map((name) => {
    const value = headers[name] ?? '';
    return name === 'content-length' && value === '0' ? '' : value;
  });
  const msHeaders = Object.keys(headers)
    .filter((name) => name.startsWith('x-ms-'))
    .sort()
    .map((name) => `${name}:${headers[name]!.trimStart()}\n`)
    .join('');
  const stringToSign = `PUT\n${standard.join('\n')}\n${msHeaders}/${credential.accountName}${url.pathname}`;
  return `SharedKey ${credential.accountName}:${credential.computeHMACSHA256(stringToSign)}`;
}

class StallError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no progress for ${ms} ms`);
    this.name = 'StallError';
  }
}

/**
 * Put Blob checks a `Content-MD5` request header against the bytes it received. The SDK
 * (12.32) reads `transactionalContentMD5` from upload options but leaves it out of the type.
 */
function withTransactionalMd5(options: BlockBlobUploadOptions, md5: Uint8Array): BlockBlobUploadOptions {
  const withMd5: BlockBlobUploadOptions & { transactionalContentMD5: Uint8Array } = { ...options, transactionalContentMD5: md5 };
  return withMd5;
}

async function resolveCredentials(opts: AzureStoreOptions, env: NodeJS.ProcessEnv): Promise<Credentials> {
  const connectionString = nonEmpty(env.AZURE_STORAGE_CONNECTION_STRING);
  if (connectionString !== undefined) return fromConnectionString(connectionString, opts.endpoint);
  const account = nonEmpty(env.AZURE_STORAGE_ACCOUNT) ?? (opts.endpoint === undefined ? undefined : accountFromUrl(opts.endpoint));
  if (account === undefined) {
    throw new SmoothpubError(
      ErrorCode.BAD_DESTINATION,
      `no Azure credentials for az://${opts.container}: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or an identity DefaultAzureCredential can use`,
    );
  }
  const serviceUrl = trimSlash(opts.endpoint ?? `https://${account}.blob.core.windows.net`);
  const key = nonEmpty(env.AZURE_STORAGE_KEY);
  if (key !== undefined) return { account, serviceUrl, credential: new StorageSharedKeyCredential(account, key), secrets: [key] };
  const sas = nonEmpty(env.AZURE_STORAGE_SAS_TOKEN)?.replace(/^\?/, '');
  if (sas !== undefined) return { account, serviceUrl: withQuery(serviceUrl, sas), credential: new AnonymousCredential(), secrets: [sas] };
  const { DefaultAzureCredential } = await loadAzureIdentity(account);
  return { account, serviceUrl, credential: new DefaultAzureCredential(), secrets: [] };
}

/** `AccountName=..;AccountKey=..;BlobEndpoint=..` or `BlobEndpoint=..;SharedAccessSignature=..` or `UseDevelopmentStorage=true`. */
function fromConnectionString(cs: string, endpoint: string | undefined): Credentials {
  const fields = new Map<string, string>();
  for (const part of cs.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  if (fields.get('usedevelopmentstorage') === 'true') {
    fields.set('accountname', 'devstoreaccount1');
    fields.set('accountkey', 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==');
    fields.set('blobendpoint', 'http://127.0.0.1:10000/devstoreaccount1');
  }
  const blobEndpoint = endpoint ?? fields.get('blobendpoint');
  const name = fields.get('accountname') ?? (blobEndpoint === undefined ? undefined : accountFromUrl(blobEndpoint));
  const protocol = fields.get('defaultendpointsprotocol') ?? 'https';
  const suffix = fields.get('endpointsuffix') ?? 'core.windows.net';
  const serviceUrl = trimSlash(blobEndpoint ?? `${protocol}://${name ?? ''}.blob.${suffix}`);
  const key = fields.get('accountkey');
  const sas = fields.get('sharedaccesssignature')?.replace(/^\?/, '');
  if (name === undefined || (key === undefined && sas === undefined)) {
    throw new SmoothpubError(
      ErrorCode.BAD_DESTINATION,
      'AZURE_STORAGE_CONNECTION_STRING needs AccountName and AccountKey, or BlobEndpoint and SharedAccessSignature',
    );
  }
  if (key !== undefined) return { account: name, serviceUrl, credential: new StorageSharedKeyCredential(name, key), secrets: [key, cs] };
  return { account: name, serviceUrl: withQuery(serviceUrl, sas ?? ''), credential: new AnonymousCredential(), secrets: [sas ?? '', cs] };
}

/** `https://acct.blob.core.windows.net` → acct; path-style `http://127.0.0.1:10000/devstoreaccount1` → devstoreaccount1. */
function accountFromUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    const first = u.pathname.split('/').find((s) => s !== '');
    if (first !== undefined) return first;
    const host = u.hostname.split('.')[0];
    return host === undefined || /^\d+$/.test(host) ? undefined : host;
  } catch {
    return undefined;
  }
}

function withQuery(url: string, query: string): string {
  return query === '' ? url : `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

interface AzureFailureContext {
  operation: string;
  store: string;
  secrets: readonly string[];
  env: NodeJS.ProcessEnv;
  key?: string;
  signal?: AbortSignal;
}

/** Any failure from the Azure SDK (a RestError, an AbortError, a stream error) as a StoreError. */
function azureError(e: unknown, ctx: AzureFailureContext): SmoothpubError {
  if (e instanceof SmoothpubError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const rest = e instanceof RestError ? e : undefined;
  const status = rest?.statusCode;
  const errorCode = rest?.response?.headers.get('x-ms-error-code') ?? rest?.code ?? (err as NodeJS.ErrnoException).code;
  const aborted = err.name === 'AbortError';
  const code = errorCode ?? (aborted ? 'aborted' : undefined);
  return storeError({
    operation: ctx.operation,
    store: ctx.store,
    ...(ctx.key !== undefined && { key: ctx.key }),
    ...(status !== undefined && status > 0 && { status }),
    ...(code !== undefined && { code }),
    // An authentication failure's text can quote the request's signature: the code says enough.
    ...(status !== 401 && status !== 403 && { detail: firstLine(err.message) ?? '' }),
    retryAfter: rest?.response?.headers.get('retry-after'),
    throttled: code === 'ServerBusy',
    // @azure/identity: CredentialUnavailableError, AuthenticationError, AggregateAuthenticationError.
    credentialsFailed: rest === undefined && /Credential|Authentication/.test(err.name),
    abortedByCaller: aborted && ctx.signal?.aborted === true,
    timedOut: aborted && ctx.signal?.aborted !== true,
    secrets: ctx.secrets,
    env: ctx.env,
  });
}
