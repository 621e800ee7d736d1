import { type Box, childBoxes, readBoxHeader } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { writeSinf } from '../bmff/sinf.js';
import type { Tenc } from '../bmff/tenc.js';
import { box } from '../bmff/writer.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { TrackEncryption } from './model.js';

/** ISO/IEC 23001-7: scheme_version 1.0 for 'cenc' and 'cbcs'. */
const SCHEME_VERSION = 0x00010000;

/**
 * An init segment (`ftyp` + `moov` with one track, as writeInitSegment makes it) for the
 * encrypted track: each sample entry becomes `encv` (video) or `enca` (audio) with a
 * `sinf` (`frma` the original format, `schm` cenc/cbcs 1.0, `schi/tenc` with the KID
 * and, for cbcs, the pattern and constant IV), every enclosing box's size fixed, and
 * `psshBoxes` (complete `pssh` boxes) appended to the `moov`.
 */
export function protectInitSegment(init: Uint8Array, enc: TrackEncryption, psshBoxes: readonly Uint8Array[]): Uint8Array {
  const sinfFor = (format: string): Uint8Array => writeSinf({ originalFormat: format, schm: { type: 'schm', flags: 0, schemeType: enc.scheme, schemeVersion: SCHEME_VERSION }, tenc: tencFor(enc) });
  const c = new Cursor(init, 0, 'init segment');
  const parts: Uint8Array[] = [];
  let moovs = 0;
  while (c.remaining > 0) {
    const h = readBoxHeader(c, init.length);
    const payload = c.sub(h.size - h.headerSize, h.type);
    if (h.type !== 'moov') {
      parts.push(init.subarray(h.offset, h.offset + h.size));
      continue;
    }
    moovs++;
    const traks = [...childBoxes(new Cursor(init, 0, 'moov', payload.pos, payload.end), 'moov')].filter((b) => b.type === 'trak');
    if (traks.length !== 1) throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, `cannot protect an init segment with ${traks.length} tracks: one track an init segment`, { offset: h.offset, boxPath: 'moov' });
    const moov = rebuild(init, { ...h, payload }, ['trak', 'mdia', 'minf', 'stbl', 'stsd'], (stsd) => protectStsd(init, stsd, enc, sinfFor), psshBoxes);
    parts.push(moov);
  }
  if (moovs !== 1) throw new SmoothpubError(ErrorCode.MISSING_BOX, `an init segment has one 'moov', found ${moovs}`, { boxPath: 'moov' });
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The track's `tenc`: cenc 8-byte IVs a sample; cbcs version 1 with the pattern and the constant IV. */
export function tencFor(enc: TrackEncryption): Tenc {
  if (enc.scheme === 'cenc') {
    return { type: 'tenc', version: 0, defaultCryptByteBlock: 0, defaultSkipByteBlock: 0, defaultIsProtected: 1, defaultPerSampleIvSize: 8, defaultKid: enc.key.kid };
  }
  if (enc.constantIv === undefined) throw new SmoothpubError(ErrorCode.BAD_OPTION, 'cbcs needs a 16-byte constant IV for the track (trackEncryptionFor gives one)');
  return {
    type: 'tenc',
    version: 1,
    defaultCryptByteBlock: enc.pattern?.crypt ?? 0,
    defaultSkipByteBlock: enc.pattern?.skip ?? 0,
    defaultIsProtected: 1,
    defaultPerSampleIvSize: 0,
    defaultKid: enc.key.kid,
    defaultConstantIv: enc.constantIv,
  };
}

/** `b` rebuilt with the child path `path` replaced by `leaf(...)` (every match at each level), `extra` appended. */
function rebuild(bytes: Uint8Array, b: Box, path: string[], leaf: (b: Box) => Uint8Array, extra: readonly Uint8Array[] = []): Uint8Array {
  const [first, ...rest] = path;
  let found = false;
  const parts: Uint8Array[] = [];
  for (const child of childBoxes(b.payload, b.type)) {
    if (child.type !== first) {
      parts.push(bytes.subarray(child.offset, child.offset + child.size));
      continue;
    }
    found = true;
    parts.push(rest.length === 0 ? leaf(child) : rebuild(bytes, child, rest, leaf));
  }
  if (!found) throw new SmoothpubError(ErrorCode.MISSING_BOX, `'${b.type}' has no '${first}' box`, { offset: b.offset, boxPath: b.type });
  return box(b.type, ...parts, ...extra);
}

function protectStsd(bytes: Uint8Array, stsd: Box, enc: TrackEncryption, sinfFor: (format: string) => Uint8Array): Uint8Array {
  const c = stsd.payload;
  const head = c.bytesOf(8); // version, flags, entry_count
  const stsdVersion = head[0]!;
  const entries: Uint8Array[] = [];
  for (const entry of childBoxes(c, 'stsd')) entries.push(protectEntry(bytes, entry, stsdVersion, enc, sinfFor));
  return box('stsd', head, ...entries);
}

/** Visual sample entry fields after the box header: 6 reserved, data_reference_index, 70 more. */
const VISUAL_FIELDS = 78;
/** Audio sample entry (QuickTime sound description version 0) fields. */
const AUDIO_FIELDS = 28;

function protectEntry(bytes: Uint8Array, entry: Box, stsdVersion: number, enc: TrackEncryption, sinfFor: (format: string) => Uint8Array): Uint8Array {
  if (entry.type === 'encv' || entry.type === 'enca') {
    throw new SmoothpubError(ErrorCode.UNSUPPORTED_INPUT, `cannot encrypt a track that is already encrypted ('${entry.type}')`, { offset: entry.offset, boxPath: 'stsd' });
  }
  const video = enc.video !== undefined;
  const p = entry.payload;
  const start = p.pos;
  let fields = video ? VISUAL_FIELDS : AUDIO_FIELDS;
  if (!video && stsdVersion === 0) {
    // QuickTime sound descriptions 1 and 2 carry 16 and 36 more bytes (see readStsd).
    const version = new Cursor(bytes, 0, entry.type, start + 8, p.end).u16();
    fields += version === 1 ? 16 : version === 2 ? 36 : 0;
  }
  if (start + fields > p.end) throw new SmoothpubError(ErrorCode.TRUNCATED_BOX, `sample entry '${entry.type}' has ${p.end - start} bytes, fewer than its ${fields} bytes of fields`, { offset: entry.offset, boxPath: `stsd/${entry.type}` });
  const children = new Cursor(bytes, 0, entry.type, start + fields, p.end);
  let end = children.pos;
  for (const child of childBoxes(children, entry.type, { zeroTerminator: true })) end = child.offset + child.size;
  // sinf goes after the last child, before a QuickTime zero terminator.
  return box(video ? 'encv' : 'enca', bytes.subarray(start, end), sinfFor(entry.type), bytes.subarray(end, p.end));
}

