import { type Cursor, readFullBoxHeader } from './cursor.js';
import { type BoxInput, ByteWriter, fullBox } from './writer.js';

export interface Hdlr {
  type: 'hdlr';
  /** 'vide', 'soun', 'text', 'subt', ... */
  handlerType: string;
}

export function readHdlr(c: Cursor): Hdlr {
  readFullBoxHeader(c);
  c.skip(4); // pre_defined
  return { type: 'hdlr', handlerType: c.fourcc() };
}

/**
 * The handler's human-readable name (after `readHdlr`'s fields and 12 reserved bytes):
 * NUL-terminated UTF-8 (ISO), or a length-prefixed string (QuickTime); '' when absent.
 */
export function readHdlrName(c: Cursor): string {
  readFullBoxHeader(c);
  if (c.remaining < 20) return '';
  c.skip(20); // pre_defined, handler_type, reserved
  let bytes = c.bytesOf(c.remaining);
  if (bytes.length > 0 && bytes[0] === bytes.length - 1) bytes = bytes.subarray(1);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** `name` (not in `Hdlr`) is the human-readable track name, e.g. ffmpeg's 'SoundHandler'. */
export function writeHdlr(box: BoxInput<Hdlr>, name = ''): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const w = new ByteWriter(4 + 4 + 12 + nameBytes.length + 1, 'hdlr');
  w.zeros(4).fourcc(box.handlerType).zeros(12).bytesOf(nameBytes).u8(0); // pre_defined, handler_type, reserved, name\0
  return fullBox('hdlr', 0, 0, w.finish());
}
