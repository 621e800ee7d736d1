import { type Cursor, readFullBoxHeader } from './cursor.js';

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
