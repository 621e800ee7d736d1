import type { Server } from 'node:http';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { diagnostic, printEvent } from './events.js';
import { parseFourCC, parseFragmentDuration, parseFormats, parseManifestTimeline, parsePort, parsePositiveInt, passthroughHeaders, storeLocation, type ProtectionCliOptions } from './options.js';

/** `serve`'s options as commander gives them (strings): what a worker gets from the primary, too. */
export interface ServeCliOptions extends ProtectionCliOptions {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  recheck: string;
  manifestTimeline: string;
  fragmentDuration: string;
  fourcc: string;
  policy: boolean;
  fragmentCacheControl: string;
  manifestCacheControl: string;
  notFoundCacheControl: string;
  liveCacheControl?: string;
  host: string;
  port: string;
  cors: string;
  cache: string;
  writeIndex?: boolean;
  formats: string;
  protectionHeader?: string[];
  json?: boolean;
  workers?: string;
}

/** The URL a server listening on `host` and `port` prints. */
export function serveUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** The one `listening` line (or event) of a run, whether one process serves or several workers. */
export function printListening(url: string, root: string, json: boolean): void {
  if (json) printEvent('listening', { url, root });
  else process.stdout.write(`serving ${root} at ${url}\n  e.g. ${url}<path>.ism/Manifest\nPress Ctrl-C to stop.\n`);
}

/** The options as values; a bad one is a cli.bad-option error (the supervisor checks them before it starts workers). */
export function parseServeOptions(opts: ServeCliOptions) {
  const recheck = Number(opts.recheck);
  if (!(recheck >= 0 && recheck <= 86_400)) throw new SmoothpubError(ErrorCode.BAD_OPTION, `--recheck must be 0 to 86400 seconds, got '${opts.recheck}'`);
  return {
    port: parsePort(opts.port),
    manifestTimeline: parseManifestTimeline(opts.manifestTimeline),
    cache: parsePositiveInt('--cache', opts.cache, 10_000_000),
    recheck,
    formats: parseFormats(opts.formats),
    fragmentDuration: parseFragmentDuration(opts.fragmentDuration),
    fourCC: parseFourCC(opts.fourcc),
    passthrough: passthroughHeaders(opts.protectionHeader),
  };
}

/**
 * The origin of one serving process (the only one, or one of `--workers`): the root opened,
 * the handler made, the server listening on `--host`/`--port` (unless `signal` has already
 * aborted). Failed requests are logged by the process that answered them, once each.
 */
export async function openServe(root: string, opts: ServeCliOptions, signal: AbortSignal): Promise<{ server: Server; handler: { close(): Promise<void> }; description: string }> {
  // Loaded on use: `--help` and other commands need not load this command's library.
  const { createOrigin } = await import('../origin/createOrigin.js');
  const { openOriginRoot } = await import('../origin/openOriginRoot.js');
  const { errorOutcome } = await import('../origin/errorStatus.js');
  const { createOriginServer } = await import('../origin/nodeAdapter.js');
  const { readProtection } = await import('./readProtection.js');
  const { nodeProtection } = await import('../origin/nodeProtection.js');
  const protection = await readProtection(opts, signal);
  const { listen } = await import('../http/listen.js');
  const { port, manifestTimeline, cache, recheck, formats, fragmentDuration, fourCC, passthrough } = parseServeOptions(opts);
  const originRoot = await openOriginRoot(root, {
    writeSidecars: opts.writeIndex === true,
    recheckMs: recheck * 1000,
    ...storeLocation(opts),
  });
  const handler = createOrigin({
    root: originRoot,
    manifestTimeline,
    formats,
    fragmentDuration,
    fourCC,
    ...passthrough,
    policyFiles: opts.policy,
    fragmentCacheControl: opts.fragmentCacheControl,
    manifestCacheControl: opts.manifestCacheControl,
    notFoundCacheControl: opts.notFoundCacheControl,
    ...(opts.liveCacheControl !== undefined && { liveCacheControl: opts.liveCacheControl }),
    cors: opts.cors,
    maxCachedPresentations: cache,
    ...(protection && { protection: nodeProtection(protection) }),
    onError: (e, request) => {
      const { code, status } = errorOutcome(e);
      const message = e instanceof Error ? e.message : String(e);
      // The server keeps going: with --json a `warning` line (`error` is a command's last line).
      if (opts.json) printEvent('warning', diagnostic(code, message, { method: request.method, url: request.url, status }));
      else process.stderr.write(`error ${code}: ${request.method} ${new URL(request.url).pathname}: ${message}\n`);
    },
  });
  const server = createOriginServer(handler);
  try {
    if (!signal.aborted) await listen(server, port, opts.host);
  } catch (e) {
    await handler.close();
    throw e;
  }
  return { server, handler, description: originRoot.description };
}
