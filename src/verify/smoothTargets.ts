import { isSmoothpubError } from '../errors.js';
import { readManifest } from '../smooth/readManifest.js';
import type { Presentation } from '../smooth/model.js';
import { formatFragmentUrl } from '../smooth/url.js';
import { objectUrl, type ManifestLocation } from './manifestUrl.js';
import { VerifyCode } from './problem.js';
import type { SmoothLevel, VerifySession } from './session.js';

/** A Smooth Manifest's text as a presentation, or undefined after reporting why it cannot be one. */
export function readSmoothDocument(text: string, problem: (message: string) => void): Presentation | undefined {
  let p: Presentation;
  try {
    p = readManifest(text);
  } catch (e) {
    // Whatever the XML parser throws, a Manifest that cannot be read is a finding, not a crash.
    return void problem(e instanceof Error ? e.message : String(e));
  }
  if (p.isLive === true) return void problem('live presentations (IsLive="TRUE") are not supported: their fragments come and go');
  return p;
}

/**
 * Names every fragment of every quality level of the Manifest at `loc` to the session, with
 * what the Manifest says of it (time, duration, stream type). Returns the levels, to check
 * their track IDs once fetched.
 */
export function addSmoothTargets(session: VerifySession, p: Presentation, loc: ManifestLocation, docOrder: number): SmoothLevel[] {
  const levels: SmoothLevel[] = [];
  for (const stream of p.streams) {
    try {
      formatFragmentUrl(stream.url, 0, 0n);
    } catch (e) {
      if (!isSmoothpubError(e)) throw e;
      session.problem(docOrder, loc.manifest.href, VerifyCode.MANIFEST, `StreamIndex '${stream.name}': ${e.message}`, ['smooth']);
      continue;
    }
    for (const q of stream.qualityLevels) {
      const level: SmoothLevel = { streamName: stream.name, bitrate: q.bitrate, trackIds: [], orders: [], urls: [] };
      levels.push(level);
      stream.chunks.forEach((c, index) => {
        const url = objectUrl(loc, formatFragmentUrl(stream.url, q.bitrate, c.t));
        const o = session.addFragment(url, { format: 'smooth', expected: { t: c.t, d: c.d, first: index === 0, streamType: stream.type }, level, index });
        level.orders.push(o.order);
        level.urls.push(url);
      });
    }
  }
  return levels;
}

/**
 * One quality level is one source track: a fragment carrying another track ID was
 * taken from elsewhere. The level's track is the one most of its fragments carry
 * (ties: the earliest), so one stray fragment is blamed, not the rest.
 */
export function checkSmoothTracks(session: VerifySession, level: SmoothLevel): void {
  const counts = new Map<number, number>();
  for (const id of level.trackIds) if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  if (counts.size < 2) return;
  let main: number | undefined;
  for (const id of level.trackIds) {
    if (id === undefined) continue;
    if (main === undefined || counts.get(id)! > counts.get(main)!) main = id;
  }
  level.trackIds.forEach((id, i) => {
    if (id === undefined || id === main) return;
    session.problem(
      level.orders[i]!,
      level.urls[i]!,
      VerifyCode.TRACK_MISMATCH,
      `fragment carries track ${id}, while ${counts.get(main!)} of the ${level.trackIds.length} fragments of QualityLevels(${level.bitrate}) in stream '${level.streamName}' carry track ${main}`,
      ['smooth'],
    );
  });
}
