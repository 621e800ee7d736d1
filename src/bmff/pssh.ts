import { ErrorCode, SmoothpubError } from '../errors.js';
import { toHex } from './box.js';
import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox, uuidToBytes } from './writer.js';

/**
 * Protection System Specific Header (ISO/IEC 23001-7 8.1): a DRM system's data for the
 * content, in `moov` (or `moof`). Version 1 also lists the key IDs it covers, which is
 * all the W3C Common PSSH (Clear Key) holds.
 */
export interface Pssh {
  type: 'pssh';
  version: 0 | 1;
  /** The DRM system's ID as 32 lowercase hex digits. */
  systemId: string;
  /** Version 1 only: 16 bytes each. */
  kids: Uint8Array[];
  data: Uint8Array;
}

export function readPssh(c: Cursor): Pssh {
  const { version } = readFullBoxHeader(c);
  if (version > 1) throw new SmoothpubError(ErrorCode.BAD_BOX, `pssh: version ${version} is not defined (0 or 1)`, { offset: c.offset - 4, boxPath: 'pssh' });
  const systemId = toHex(c.bytesOf(16));
  const kids: Uint8Array[] = [];
  if (version === 1) {
    const count = c.u32();
    if (count * 16 > c.remaining) throw new SmoothpubError(ErrorCode.BAD_BOX, `pssh: ${count} key IDs do not fit in the ${c.remaining} bytes left`, { offset: c.offset - 4, boxPath: 'pssh' });
    for (let i = 0; i < count; i++) kids.push(Uint8Array.from(c.bytesOf(16)));
  }
  const size = c.u32();
  return { type: 'pssh', version: version as 0 | 1, systemId, kids, data: Uint8Array.from(c.bytesOf(size)) };
}

export function writePssh(box: BoxInput<Pssh>): Uint8Array {
  if (box.version === 0 && box.kids.length > 0) throw new SmoothpubError(ErrorCode.BAD_BOX, 'cannot write pssh: version 0 has no key IDs (use version 1)', { boxPath: 'pssh' });
  const w = new ByteWriter(16 + (box.version === 1 ? 4 + 16 * box.kids.length : 0) + 4 + box.data.length, 'pssh');
  w.bytesOf(uuidToBytes(box.systemId));
  if (box.version === 1) {
    w.u32(box.kids.length, 'KID_count');
    for (const kid of box.kids) {
      if (kid.length !== 16) throw new SmoothpubError(ErrorCode.BAD_BOX, `cannot write pssh: a KID must be 16 bytes, got ${kid.length}`, { boxPath: 'pssh' });
      w.bytesOf(kid);
    }
  }
  w.u32(box.data.length, 'DataSize').bytesOf(box.data);
  return fullBox('pssh', box.version, 0, w.finish());
}
