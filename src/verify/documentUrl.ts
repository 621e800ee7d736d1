import { ErrorCode, SmoothpubError } from '../errors.js';
import type { Format } from '../formats/model.js';
import { parseHttpUrl, redactUrl, type ManifestLocation } from './manifestUrl.js';

/** Where the document `verify` was given lives, and what its name suggests it is. */
export interface DocumentLocation extends ManifestLocation {
  /**
   * The format the name suggests (`Manifest`, `manifest.mpd`, `master.m3u8`, the
   * media-services `manifest(format=...)` forms, `.mpd`, `.m3u8`); `root` for a presentation
   * folder (`.../video.ism/` or `.../video.ism`); undefined when the name says nothing and
   * the content decides.
   */
  named: Format | 'root' | undefined;
}

const MEDIA_SERVICES_FORM = /^manifest\(format=(mpd|m3u8)-[a-z0-9-]+\)(\.mpd|\.m3u8)?$/i;

/**
 * Checks that `text` is an http(s) URL of a Smooth Manifest, a DASH MPD or an HLS
 * multivariant playlist, or, when `rootAllowed` (`--formats` says which documents to look
 * for), of a presentation folder. The base is the document's folder (the folder itself for
 * a root); the query (e.g. a SAS token) is kept for every object named beside it.
 */
export function parseDocumentUrl(text: string, rootAllowed: boolean): DocumentLocation {
  const url = parseHttpUrl(text);
  const slash = url.pathname.lastIndexOf('/');
  const name = decodeName(url.pathname.slice(slash + 1));
  const named = nameSays(name);
  if (named === 'root' && !rootAllowed) {
    throw new SmoothpubError(
      ErrorCode.BAD_URL,
      `manifest URL must end in /Manifest (Smooth), .mpd or manifest(format=mpd-time-csf) (DASH), or .m3u8 or manifest(format=m3u8-cmaf) (HLS); a presentation folder needs --formats to say which documents to verify there; found ${JSON.stringify(redactUrl(text))}`,
    );
  }
  const base = new URL(url.href);
  base.search = '';
  base.hash = '';
  if (named === 'root') {
    if (name !== '') base.pathname = `${url.pathname}/`;
  } else {
    base.pathname = url.pathname.slice(0, slash + 1);
  }
  return { manifest: url, base: base.href, query: url.search, named };
}

function nameSays(name: string): DocumentLocation['named'] {
  if (name === '' || /\.ism$/i.test(name)) return 'root';
  if (/^manifest$/i.test(name)) return 'smooth';
  const form = MEDIA_SERVICES_FORM.exec(name);
  if (form) return form[1]!.toLowerCase() === 'mpd' ? 'dash' : 'hls';
  if (/\.mpd$/i.test(name)) return 'dash';
  if (/\.m3u8$/i.test(name)) return 'hls';
  return undefined;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * What a document is, by its content: a Smooth Manifest (`<SmoothStreamingMedia>`), a DASH
 * MPD (`<MPD>`) or an HLS playlist (`#EXTM3U`); undefined for anything else.
 */
export function documentFormat(text: string): Format | undefined {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  if (t.startsWith('#EXTM3U')) return 'hls';
  // The first element after any XML declaration, comments and doctype.
  const root = /^(?:<\?[\s\S]*?\?>\s*|<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]/.exec(t);
  if (root?.[1] === 'SmoothStreamingMedia') return 'smooth';
  if (root?.[1] === 'MPD') return 'dash';
  return undefined;
}
