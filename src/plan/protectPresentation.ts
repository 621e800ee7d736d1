import { ErrorCode, SmoothpubError, isSmoothpubError } from '../errors.js';
import { fragmentParts, readFragmentBody, sliceParts, type FragmentPart } from '../fragments/fragmentParts.js';
import type { BuiltFragment, ByteRun, FragmentRef } from '../fragments/types.js';
import type { KeyAssignment, TrackEncryption } from '../protect/model.js';
import { protectFragment } from '../protect/protectFragment.js';
import { trackEncryptionFor } from '../protect/trackEncryptionFor.js';
import type { ByteSource } from '../source/source.js';
import { runAll } from '../util/runAll.js';
import type { BuiltPresentation, LevelBinding } from './buildPresentation.js';
import type { PresentationProtection } from './protectionSettings.js';
import { signallingFor } from '../protect/signalling.js';
import type { KeyTrackType } from '../protect/model.js';

export type { PresentationProtection } from './protectionSettings.js';

export interface ProtectOptions {
  /** Opens a source by the file name its tracks carry. */
  open: (file: string) => Promise<ByteSource>;
  /** Levels read at once; each reads its fragments one at a time, so memory holds a fragment a level. */
  concurrency?: number;
  signal?: AbortSignal;
  /**
   * Protects elsewhere instead of here (package: its writer threads lay out and encrypt
   * each fragment from the one read that writes it): called with each encrypted level
   * (`encryption` set, fragments clear), one after the other, it hands the level over
   * (toProtectWhenWritten) and answers once it has; `written` is the level's protected
   * fragments, their sizes as written. Nothing is read here then.
   */
  whenWritten?: (built: BuiltPresentation, level: LevelBinding) => Promise<{ written: Promise<FragmentRef[]> }>;
}

/**
 * Every fragment of a prepared presentation (prepareFormats: each has its `tfdt`, so one
 * protected copy serves Smooth, DASH and HLS) made a protected one: each level's key by
 * its track type, its clear body read once to lay out the samples (protectFragment), and
 * the FragmentRef replaced by a built one (the protected `moof` and `mdat` header, then
 * the clear payload's source runs with how to encrypt them), its `size` the protected
 * size. Nothing is encrypted here: whoever sends or writes the payload does
 * (encryptPayload), so no payload is held in memory past its own fragment. With
 * `whenWritten`, whoever writes the fragments lays them out as well.
 */
export async function protectPresentation(built: BuiltPresentation, given: PresentationProtection, options: ProtectOptions): Promise<BuiltPresentation> {
  const planned = planProtection(built, given);
  const levels: LevelBinding[] = planned.levels.slice();
  if (options.whenWritten) {
    const written: Promise<void>[] = [];
    try {
      for (const [i, level] of planned.levels.entries()) {
        if (level.encryption === undefined) continue;
        options.signal?.throwIfAborted();
        const handed = await options.whenWritten(planned, level);
        written.push(handed.written.then((fragments) => void (levels[i] = withFragments(level, fragments))));
      }
      await Promise.all(written);
    } finally {
      // A level that failed first leaves the others' failures (the same one, from the writers) unheard.
      for (const w of written) w.catch(() => {});
    }
    return { ...planned, levels };
  }
  // Read buffers passed from level to level (at most `concurrency` in use at once), each
  // grown to the largest body it has held: a level's fresh buffer would stay garbage,
  // megabytes of it, until the collector came by.
  const spare: { buffer: Uint8Array }[] = [];
  await runAll(
    planned.levels,
    options.concurrency ?? 2,
    async (level, i) => {
      const encryption = level.encryption;
      if (encryption === undefined) return;
      const src = await options.open(level.track.file);
      const reading = spare.pop() ?? { buffer: new Uint8Array(0) };
      try {
        levels[i] = withFragments(level, await protectFragments(level, encryption, src, reading, options.signal));
      } catch (e) {
        throw isSmoothpubError(e) ? e.withContext({ file: level.track.file, trackId: level.track.trackId }) : e;
      } finally {
        spare.push(reading);
        await src.close();
      }
    },
    options.signal,
  );
  return { ...planned, levels };
}

/** A level with its protected fragments, their sizes the media's. */
function withFragments(level: LevelBinding, fragments: FragmentRef[]): LevelBinding {
  const track = { ...level.track, fragments };
  return { ...level, track, ...(level.media && { media: { ...level.media, sizes: fragments.map((f) => f.size) } }) };
}

/**
 * A level's fragments as ones protected where they are written (ProtectOptions.whenWritten):
 * each the clear fragment's body and how to protect it (BuiltFragment.protectWhenWritten);
 * their sizes are still the clear ones until the writer says.
 */
export function toProtectWhenWritten(level: LevelBinding): FragmentRef[] {
  const encryption = level.encryption;
  if (encryption === undefined) throw new SmoothpubError(ErrorCode.BAD_OPTION, `internal: level ${level.streamName} ${level.bitrate} has no encryption to protect with`);
  return level.track.fragments.map((f, fragmentIndex): FragmentRef => {
    const where = { file: level.track.file, offset: f.offset };
    const built: BuiltFragment = { head: () => notHere(where), runs: () => notHere(where), protectWhenWritten: { parts: fragmentParts(f), encryption, fragmentIndex } };
    return { offset: f.offset, size: f.size, time: f.time, duration: f.duration, ...(f.tfxd && { tfxd: f.tfxd }), built };
  });
}

function notHere(where: { file: string; offset: number }): never {
  throw new SmoothpubError(ErrorCode.WRITE_FAILED, "internal: a fragment protected where it is written was asked for its head here", where);
}

/**
 * What protection decides before a fragment is read: each audio and video level's
 * TrackEncryption (its key by its track type, its IVs by its Smooth URL), the signalling,
 * the Manifest's ProtectionHeader. Its fragments are still the clear ones: protectFragment
 * makes each protected one (fragment k of a level with `encryption` and k), as
 * protectPresentation does for all, and `serve --key` for the one asked.
 */
export function planProtection(built: BuiltPresentation, given: PresentationProtection): BuiltPresentation {
  // Plain copies of the keys: a node Buffer's slice() is a view, so code that copies a KID
  // with slice() and changes the copy would change the caller's key.
  const settings: PresentationProtection = { ...given, keys: given.keys.map(ownKeys) };
  // The signalling first: a key missing for a track type, or FairPlay asked with cenc, fails before any read.
  const keysByType: Partial<Record<KeyTrackType, { kid: Uint8Array; key: Uint8Array }>> = {};
  // Text stays clear (no player decrypts subtitles): only video and audio are keyed.
  const encrypted = built.levels.filter((level) => level.track.kind !== 'text');
  for (const level of encrypted) keysByType[level.track.kind] ??= keyFor(level, settings.keys).key;
  const signalling = signallingFor(settings.signal, keysByType);
  const levels = built.levels.map((level): LevelBinding => (level.track.kind === 'text' ? level : { ...level, encryption: levelEncryption(level, settings) }));
  const presentation = signalling.smooth.length > 0 ? { ...built.presentation, protection: signalling.smooth } : built.presentation;
  return { ...built, presentation, levels, protection: { settings, signalling } };
}

/** A video or audio level's TrackEncryption: its key by its track type, its IVs by its Smooth URL (planProtection's per level; no signalling). */
export function levelEncryption(level: LevelBinding, settings: PresentationProtection): TrackEncryption {
  const assigned = keyFor(level, settings.keys);
  try {
    return trackEncryptionFor({
      kind: level.track.kind,
      sampleEntry: level.track.sampleEntry,
      scheme: settings.signal.scheme,
      key: assigned.key,
      // The level's Smooth URL names it: the same IVs on every run (package, serve, publish).
      label: `${level.streamName}_${level.bitrate}`,
      ...(assigned.explicitIv && { explicitIv: assigned.explicitIv }),
    });
  } catch (e) {
    throw isSmoothpubError(e) ? e.withContext({ file: level.track.file, trackId: level.track.trackId }) : e;
  }
}

/** The key for a level: the one for its track type, else the one for every track. */
export function keyFor(level: Pick<LevelBinding, 'streamName' | 'bitrate' | 'track'>, keys: readonly KeyAssignment[]): KeyAssignment {
  const key = keys.find((k) => k.trackType === level.track.kind) ?? keys.find((k) => k.trackType === undefined);
  if (key) return key;
  throw new SmoothpubError(
    ErrorCode.MISSING_KEY,
    `no key for the ${level.track.kind} level ${level.streamName} ${level.bitrate}: give one for every track (--key <kid>:<key>) or for ${level.track.kind} (--key ${level.track.kind}=<kid>:<key>)`,
    { file: level.track.file, trackId: level.track.trackId },
  );
}

/** A level's fragments protected, one read at a time (cenc IVs follow each one's number in the level). */
async function protectFragments(level: LevelBinding, encryption: TrackEncryption, src: ByteSource, reading: { buffer: Uint8Array }, signal: AbortSignal | undefined): Promise<FragmentRef[]> {
  const out: FragmentRef[] = [];
  for (const [index, f] of level.track.fragments.entries()) {
    signal?.throwIfAborted();
    const parts = fragmentParts(f);
    // One buffer for the bodies, grown as needed: protectFragment keeps nothing of it.
    if (reading.buffer.length < f.size) reading.buffer = new Uint8Array(Math.ceil(1.25 * f.size));
    const body = await readBodyInto(parts, src, reading.buffer.subarray(0, f.size));
    if (body.length < f.size) throw new SmoothpubError(ErrorCode.READ_FAILED, 'source ended early; was it changed after indexing?', { file: src.name, offset: f.offset + body.length });
    const p = protectFragment(body, encryption, index, { file: level.track.file, offset: f.offset });
    const payloadSize = f.size - p.payloadStart;
    const runs = sliceParts(parts, p.payloadStart, payloadSize).map((part): ByteRun => {
      if (part instanceof Uint8Array) throw new SmoothpubError(ErrorCode.BAD_BOX, "a fragment's mdat payload is not a run of its source", { file: src.name, offset: f.offset });
      return part;
    });
    const { head, encryption: payload } = p;
    const built: BuiltFragment = { head: () => head, runs: () => runs, encryption: payload };
    out.push({ offset: f.offset, size: head.length + payloadSize, time: f.time, duration: f.duration, ...(f.tfxd && { tfxd: f.tfxd }), built });
  }
  return out;
}

/** A body's parts read into `into` (its exact size); shorter when the source ends early. */
async function readBodyInto(parts: FragmentPart[], src: ByteSource, into: Uint8Array): Promise<Uint8Array> {
  if (!src.readInto) return readFragmentBody(parts, (offset, length) => src.read(offset, length));
  let at = 0;
  for (const part of parts) {
    if (part instanceof Uint8Array) {
      into.set(part, at);
      at += part.length;
      continue;
    }
    const got = await src.readInto(part.offset, into.subarray(at, at + part.size));
    at += got;
    if (got < part.size) break;
  }
  return into.subarray(0, at);
}

function ownKeys(a: KeyAssignment): KeyAssignment {
  const out: KeyAssignment = { ...a, key: { kid: new Uint8Array(a.key.kid), key: new Uint8Array(a.key.key) } };
  if (a.explicitIv) out.explicitIv = new Uint8Array(a.explicitIv);
  return out;
}
