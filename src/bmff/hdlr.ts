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

/** `name` (not in `Hdlr`) is the human-readable track name, e.g. ffmpeg's 'SoundHandler'. */
export function writeHdlr(box: BoxInput<Hdlr>, name = ''): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const w = new ByteWriter(4 + 4 + 12 + nameBytes.length + 1, 'hdlr');
  w.zeros(4).fourcc(box.handlerType).zeros(12).bytesOf(nameBytes).u8(0); // pre_defined, handler_type, reserved, name\0
  return fullBox('hdlr', 0, 0, w.finish());
}
