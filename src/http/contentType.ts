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
  '.mpd': 'application/dash+xml',
  '.m3u8': 'application/vnd.apple.mpegurl',
};

/** Content-Type for a served path; Smooth objects have no extension, so go by name. No node module: the origin uses it on edge runtimes too. */
export function contentTypeFor(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name === 'Manifest' || name === 'manifest') return 'text/xml; charset=utf-8';
  // The media-services names of the DASH and HLS documents: manifest(format=mpd-time-csf), ...
  const format = /^manifest\(format=(mpd|m3u8)-/i.exec(name);
  if (format) return byExtension[`.${format[1]!.toLowerCase()}`]!;
  // Fragments(video=0), Fragments(audio_eng=-213333): MS-SSTR 2.2.6.
  // Fragments(video=i) is a DASH/HLS init segment, typed the same way.
  const fragment = /^Fragments\(([^=)]*)=/.exec(name);
  if (fragment) return /audio/i.test(fragment[1] ?? '') ? 'audio/mp4' : 'video/mp4';
  if (name.startsWith('FragmentInfo(')) return 'video/mp4';
  const dot = name.lastIndexOf('.');
  return (dot > 0 ? byExtension[name.slice(dot).toLowerCase()] : undefined) ?? 'application/octet-stream';
}
