import { decodeRequestPath } from '../http/decodeRequestPath.js';
import { parseSmoothUrl, type SmoothUrl } from '../smooth/url.js';
import { parseFormatUrl, type FormatUrl } from '../formats/names.js';
import type { OriginReply, RequestLike } from './reply.js';
import { badRequest, textResponse } from './responses.js';

/** A request that passed rejectInvalidRequest: an allowed method and a safe, decoded path. */
export interface OriginRequest {
  request: RequestLike;
  /** Decoded once, starting with '/': no NUL, backslash, `.` or `..` segment. */
  path: string;
  /** The Smooth object asked for, when the path has that shape. */
  smooth?: { presentation: string; url: SmoothUrl };
  /** The DASH or HLS object asked for (MPD, playlists, init segments), when the path has that shape. */
  format?: { presentation: string; url: FormatUrl };
}

const METHODS = 'GET, HEAD, OPTIONS';
const MAX_PATH = 4096;

/**
 * First handler: only GET, HEAD and OPTIONS (405), a path that decodes once to one
 * without traversal, NUL or backslashes (400), and well-formed Smooth object names
 * under a `.ism` (400: bitrates and times canonical decimals in range).
 */
export function rejectInvalidRequest(request: RequestLike): OriginRequest | OriginReply {
  const method = request.method;
  if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
    return textResponse(request, 405, 'method not allowed', { allow: METHODS });
  }
  const raw = rawPath(request.url);
  if (raw.length > MAX_PATH) return textResponse(request, 414, 'URI too long');
  const path = decodeRequestPath(raw);
  if (path === undefined || !path.startsWith('/')) return badRequest(request, 'path');
  const segments = path.slice(1).split('/');
  const format = formatTarget(segments);
  if (format) return { request, path, format };
  const target = smoothTarget(segments);
  if (target === 'malformed') return badRequest(request, 'Smooth object name');
  return target === undefined ? { request, path } : { request, path, smooth: target };
}

/** The still-encoded path of a URL; a Request's URL is always absolute. */
function rawPath(url: string): string {
  const afterScheme = url.indexOf('//');
  const slash = url.indexOf('/', afterScheme + 2);
  if (afterScheme < 0 || slash < 0) return '/';
  const end = url.slice(slash).search(/[?#]/);
  return end < 0 ? url.slice(slash) : url.slice(slash, slash + end);
}

/**
 * `<presentation>.ism/Manifest` or `<presentation>.ism/QualityLevels(b)/Fragments(n=t)`;
 * keywords case-insensitive (as IIS), the `.ism` path as the filesystem has it.
 */
function smoothTarget(segments: string[]): OriginRequest['smooth'] | 'malformed' | undefined {
  if (segments.some((s) => s === '')) return undefined;
  const last = segments[segments.length - 1] ?? '';
  const tail = /^manifest$/i.test(last) ? 1 : segments.length >= 3 && /^qualitylevels\(/i.test(segments[segments.length - 2] ?? '') ? 2 : 0;
  const presentation = segments.slice(0, segments.length - tail);
  if (tail === 0 || !/\.ism$/i.test(presentation[presentation.length - 1] ?? '')) return undefined;
  const url = parseSmoothUrl(segments.slice(-tail).join('/'));
  return url === null ? 'malformed' : { presentation: presentation.join('/'), url };
}

/** `<presentation>.ism/manifest.mpd`, `.../master.m3u8`, `.../manifest(format=...)`, media playlists, init segments. */
function formatTarget(segments: string[]): OriginRequest['format'] {
  for (const tail of [1, 2]) {
    const presentation = segments.slice(0, segments.length - tail);
    if (presentation.length === 0 || !/\.ism$/i.test(presentation[presentation.length - 1]!) || presentation.some((s) => s === '')) continue;
    const url = parseFormatUrl(segments.slice(-tail).join('/'));
    if (url) return { presentation: presentation.join('/'), url };
  }
  return undefined;
}

/** CORS preflight: a player on another origin may ask before sending Range. */
export function preflight(o: OriginRequest): OriginReply | undefined {
  if (o.request.method !== 'OPTIONS') return undefined;
  return {
    status: 204,
    headers: { allow: METHODS, 'access-control-allow-methods': METHODS, 'access-control-allow-headers': 'Range, If-None-Match, If-Modified-Since, If-Range', 'access-control-max-age': '86400' },
  };
}
