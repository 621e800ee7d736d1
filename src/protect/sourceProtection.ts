import { childBoxes, findChild, toHex, type Box } from '../bmff/box.js';
import { Cursor, readFullBoxHeader } from '../bmff/cursor.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { ByteWriter, fullBox, uuidToBytes } from '../bmff/writer.js';

/**
 * What an already-protected source says about its encryption, read without a key: the
 * `sinf` of each sample entry (`frma`, `schm`, `tenc` or PIFF's track encryption `uuid`)
 * and the DRM systems' headers in the `moov` (`pssh`, PIFF's protection system header
 * `uuid`). smoothpub never decrypts: these are carried as they are (passthrough).
 */

/** PIFF 1.1 `uuid` user types, lowercase hex. */
export const UUID_PIFF_SAMPLE_ENCRYPTION = 'a2394f525a9b4f14a2446c427c648df4';
export const UUID_PIFF_PROTECTION_HEADER = 'd08a4f1810f34a82b6c832d8aba183d3';
export const UUID_PIFF_TRACK_ENCRYPTION = '8974dbce7be74c5184f97148f9882554';

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
  const c = b.payload;
  const { version } = readFullBoxHeader(c);
  const systemId = dashedUuid(toHex(c.bytesOf(16)));
  const kids: string[] = [];
  if (version > 0) {
    const count = c.u32();
    c.need(16 * count);
    for (let i = 0; i < count; i++) kids.push(toHex(c.bytesOf(16)));
  }
  return { systemId, kids, data: c.bytesOf(c.u32()).slice(), box: 'pssh' };
}

function readPiffHeader(b: Box): ProtectionSystem {
  const c = b.payload;
  readFullBoxHeader(c);
  const systemId = dashedUuid(toHex(c.bytesOf(16)));
  return { systemId, kids: [], data: c.bytesOf(c.u32()).slice(), box: 'piff' };
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
  let originalFormat: string | undefined;
  let scheme: string | undefined;
  let tenc: Omit<SourceEncryption, 'scheme' | 'originalFormat'> | undefined;
  for (const b of childBoxes(sinf.payload, where)) {
    if (b.type === 'frma') originalFormat = b.payload.fourcc();
    else if (b.type === 'schm') {
      readFullBoxHeader(b.payload);
      scheme = b.payload.fourcc();
    } else if (b.type === 'schi') {
      const t = findChild(b.payload, `${where}/schi`, 'tenc');
      if (t) tenc = readTenc(t.payload);
      else {
        for (const u of childBoxes(new Cursor(b.payload.bytes, b.payload.base, b.payload.what, b.payload.pos, b.payload.end), `${where}/schi`)) {
          if (u.type === 'uuid' && u.uuid === UUID_PIFF_TRACK_ENCRYPTION) tenc = readPiffTrackEncryption(u.payload);
        }
      }
    }
  }
  if (originalFormat === undefined) throw new SmoothpubError(ErrorCode.MISSING_BOX, "'sinf' has no 'frma' box: the clear format is unknown", { offset: sinf.offset, boxPath: where });
  if (tenc === undefined) {
    throw new SmoothpubError(ErrorCode.MISSING_BOX, "'sinf' has no 'tenc' (nor PIFF track encryption 'uuid') box: the key ID and IV size are unknown", { offset: sinf.offset, boxPath: `${where}/schi` });
  }
  return { scheme: scheme ?? 'cenc', originalFormat, ...tenc };
}

/** ISO/IEC 23001-7 8.2: version 1 adds the pattern; an IV size of 0 is followed by a constant IV. */
function readTenc(c: Cursor): Omit<SourceEncryption, 'scheme' | 'originalFormat'> {
  const { version } = readFullBoxHeader(c);
  c.skip(1); // reserved
  const patternByte = c.u8();
  c.skip(1); // default_isProtected
  const ivSize = c.u8();
  const kid = toHex(c.bytesOf(16));
  const out: Omit<SourceEncryption, 'scheme' | 'originalFormat'> = { kid, ivSize };
  if (version > 0 && patternByte !== 0) out.pattern = { crypt: patternByte >> 4, skip: patternByte & 0x0f };
  if (ivSize === 0 && c.remaining > 0) out.constantIvSize = c.u8();
  return out;
}

/** PIFF 1.1 5.3.2 TrackEncryptionBox: default_AlgorithmID (24 bits), IV size, KID. */
function readPiffTrackEncryption(c: Cursor): Omit<SourceEncryption, 'scheme' | 'originalFormat'> {
  readFullBoxHeader(c);
  c.skip(3);
  const ivSize = c.u8();
  return { kid: toHex(c.bytesOf(16)), ivSize };
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
  const version = system.kids.length > 0 ? 1 : 0;
  const w = new ByteWriter(16 + (version ? 4 + 16 * system.kids.length : 0) + 4 + system.data.length, 'pssh');
  w.bytesOf(uuidToBytes(system.systemId));
  if (version) {
    w.u32(system.kids.length, 'KID_count');
    for (const kid of system.kids) w.bytesOf(uuidToBytes(kid));
  }
  w.u32(system.data.length, 'DataSize').bytesOf(system.data);
  return fullBox('pssh', version, 0, w.finish());
}
