import { extname, posix } from 'node:path';

const byExtension: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.xml': 'text/xml; charset=utf-8',
  '.ism': 'text/xml; charset=utf-8',
  '.ismc': 'text/xml; charset=utf-8',
  '.mp4': 'video/mp4',
  '.ismv': 'video/mp4',
  '.isma': 'audio/mp4',
  '.txt': 'text/plain; charset=utf-8',
};

/** Content-Type for a served path; Smooth objects have no extension, so go by name. */
export function contentTypeFor(path: string): string {
  const name = posix.basename(path);
  if (name === 'Manifest') return 'text/xml; charset=utf-8';
  // Fragments(video=0), Fragments(audio_eng=-213333): MS-SSTR 2.2.6.
  const fragment = /^Fragments\(([^=)]*)=/.exec(name);
  if (fragment) return /audio/i.test(fragment[1] ?? '') ? 'audio/mp4' : 'video/mp4';
  if (name.startsWith('FragmentInfo(')) return 'video/mp4';
  return byExtension[extname(name).toLowerCase()] ?? 'application/octet-stream';
}
