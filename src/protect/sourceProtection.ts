import { childBoxes, toHex, type Box } from '../bmff/box.js';
import { Cursor, readFullBoxHeader } from '../bmff/cursor.js';
import { UUID_PIFF_PROTECTION_HEADER } from '../bmff/piff.js';
import { readPiffProtectionHeader } from '../bmff/piffProtectionHeader.js';
import { readPssh, writePssh } from '../bmff/pssh.js';
import { readSinf as readSinfBox } from '../bmff/sinf.js';
import { uuidToBytes } from '../bmff/writer.js';
import { ErrorCode, SmoothpubError } from '../errors.js';

/**
 * What an already-protected source says about its encryption, read without a key: the
 * `sinf` of each sample entry (`frma`, `schm`, `tenc` or PIFF's track encryption `uuid`)
 * and the DRM systems' headers in the `moov` (`pssh`, PIFF's protection system header
 * `uuid`). smoothpub never decrypts: these are carried as they are (passthrough).
 */

/** How one track of a source is encrypted, from its sample entry's `sinf`. */
export interface SourceEncryption {
  /** `schm` scheme_type: 'cenc', 'cbcs', 'cens', 'cbc1', or 'piff' (PIFF 1.1). */
  scheme: string;
  /** The clear format (`frma`): 'avc1', 'mp4a', ... */
  originalFormat: string;
  /** `tenc` default_KID, 32 lowercase hex digits. */
  kid: string;
  /** Per-sample IV size (0, 8 or 16); 0 with a constant IV (cbcs). */
  ivSize: number;
  /** The constant IV's size when `ivSize` is 0. */
  constantIvSize?: number;
  /** cbcs/cens pattern encryption: blocks encrypted and skipped. */
  pattern?: { crypt: number; skip: number };
}

/** A DRM system's header found in a `moov`: its data is opaque here (a PlayReady Object, Widevine's protobuf). */
export interface ProtectionSystem {
  /** Dashed lowercase UUID, as SYSTEM_IDS spells it. */
  systemId: string;
  /** Key IDs a `pssh` of version 1 lists (32 lowercase hex digits each). */
  kids: string[];
  data: Uint8Array;
  /** The box it came from: ISO `pssh`, or PIFF's protection system header `uuid`. */
  box: 'pssh' | 'piff';
}

/** 32 hex digits as a dashed UUID. */
export function dashedUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The system headers among a `moov`'s children (`pssh` and PIFF's `uuid`), in order. */
export function readProtectionSystems(moov: Cursor): ProtectionSystem[] {
  const out: ProtectionSystem[] = [];
  for (const b of childBoxes(new Cursor(moov.bytes, moov.base, moov.what, moov.pos, moov.end), 'moov')) {
    if (b.type === 'pssh') out.push(readPsshBox(b));
    else if (b.type === 'uuid' && b.uuid === UUID_PIFF_PROTECTION_HEADER) out.push(readPiffHeader(b));
  }
  return out;
}

function readPsshBox(b: Box): ProtectionSystem {
  const pssh = readPssh(b.payload);
  return { systemId: dashedUuid(pssh.systemId), kids: pssh.kids.map(toHex), data: pssh.data, box: 'pssh' };
}

function readPiffHeader(b: Box): ProtectionSystem {
  const header = readPiffProtectionHeader(b.payload);
  return { systemId: dashedUuid(header.systemId), kids: [], data: header.data, box: 'piff' };
}

/** Visual sample entries: 8-byte header, then 78 bytes of fields before the child boxes. */
const VISUAL_FIELDS = 78;
/** Audio: 28 bytes of fields (QuickTime sound description version 1 adds 16, version 2 adds 36). */
const AUDIO_FIELDS = 28;

/**
 * The protection of the first sample entry of an `stsd` payload, undefined for a clear
 * one. Only `encv` and `enca` (ISO/IEC 23001-7) are protected entries.
 */
export function readTrackProtection(stsd: Cursor): SourceEncryption | undefined {
  const c = new Cursor(stsd.bytes, stsd.base, stsd.what, stsd.pos, stsd.end);
  const { version: stsdVersion } = readFullBoxHeader(c);
  c.skip(4); // entry_count
  const first = childBoxes(c, 'stsd').next();
  if (first.done === true) return undefined;
  const entry = first.value;
  if (entry.type !== 'encv' && entry.type !== 'enca') return undefined;
  const e = entry.payload;
  let fields = VISUAL_FIELDS;
  if (entry.type === 'enca') {
    const soundVersion = new Cursor(e.bytes, e.base, e.what, e.pos + 8, e.end).u16();
    fields = AUDIO_FIELDS + (stsdVersion === 0 && soundVersion === 1 ? 16 : stsdVersion === 0 && soundVersion === 2 ? 36 : 0);
  }
  e.skip(fields);
  const where = `stsd/${entry.type}`;
  for (const child of childBoxes(e, where, { zeroTerminator: true })) {
    if (child.type === 'sinf') return readSinf(child, `${where}/sinf`);
  }
  throw new SmoothpubError(ErrorCode.MISSING_BOX, `'${entry.type}' (an encrypted sample entry) has no 'sinf' box: its scheme and key ID are unknown`, { offset: entry.offset, boxPath: where });
}

function readSinf(sinf: Box, where: string): SourceEncryption {
  const box = readSinfBox(sinf.payload);
  if (box.originalFormat === '') throw new SmoothpubError(ErrorCode.MISSING_BOX, "'sinf' has no 'frma' box: the clear format is unknown", { offset: sinf.offset, boxPath: where });
  const scheme = box.schm?.schemeType ?? 'cenc';
  if (box.tenc !== undefined) {
    const t = box.tenc;
    const out: SourceEncryption = { scheme, originalFormat: box.originalFormat, kid: toHex(t.defaultKid), ivSize: t.defaultPerSampleIvSize };
    if (t.defaultCryptByteBlock !== 0 || t.defaultSkipByteBlock !== 0) out.pattern = { crypt: t.defaultCryptByteBlock, skip: t.defaultSkipByteBlock };
    if (t.defaultConstantIv !== undefined) out.constantIvSize = t.defaultConstantIv.length;
    return out;
  }
  if (box.piffTenc !== undefined) return { scheme, originalFormat: box.originalFormat, kid: toHex(box.piffTenc.defaultKid), ivSize: box.piffTenc.defaultIvSize };
  throw new SmoothpubError(ErrorCode.MISSING_BOX, "'sinf' has no 'tenc' (nor PIFF track encryption 'uuid') box: the key ID and IV size are unknown", { offset: sinf.offset, boxPath: `${where}/schi` });
}

/** A protected track as a source has it: its encryption and the DRM headers its `moov` carries. */
export interface SourceTrackProtection extends SourceEncryption {
  systems: ProtectionSystem[];
}

/**
 * A system's header as an ISO `pssh` (ISO/IEC 23001-7 8.1): version 1 when it lists key
 * IDs, else version 0; the data as it was. A PIFF protection header (SystemID, data) is
 * the same content in PIFF's own box.
 */
export function writeSystemPssh(system: ProtectionSystem): Uint8Array {
  return writePssh({ version: system.kids.length > 0 ? 1 : 0, systemId: system.systemId, kids: system.kids.map(uuidToBytes), data: system.data });
}
