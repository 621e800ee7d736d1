import { childBoxes } from './box.js';
import type { Cursor } from './cursor.js';
import { readFrma, writeFrma } from './frma.js';
import { UUID_PIFF_TENC } from './piff.js';
import { type PiffTrackEncryption, readPiffTrackEncryption, writePiffTrackEncryption } from './piffTrackEncryption.js';
import { readSchm, type Schm, writeSchm } from './schm.js';
import { readTenc, type Tenc, writeTenc } from './tenc.js';
import { type BoxInput, box as makeBox } from './writer.js';

/**
 * ProtectionSchemeInfoBox (ISO/IEC 14496-12 8.12.1) as Common Encryption fills it: `frma`
 * (the original format), `schm` (cenc/cbcs) and `schi` holding `tenc`.
 */
export interface Sinf {
  type: 'sinf';
  originalFormat: string;
  schm?: Schm;
  tenc?: Tenc;
  /** PIFF 1.1's track encryption `uuid` in `schi`: all a PIFF 1.1 ISMV has in place of `tenc`. */
  piffTenc?: PiffTrackEncryption;
}

export function readSinf(c: Cursor): Sinf {
  const box: Sinf = { type: 'sinf', originalFormat: '' };
  for (const child of childBoxes(c, 'sinf')) {
    if (child.type === 'frma') box.originalFormat = readFrma(child.payload).dataFormat;
    else if (child.type === 'schm') box.schm = readSchm(child.payload);
    else if (child.type === 'schi') {
      for (const s of childBoxes(child.payload, 'sinf/schi')) {
        if (s.type === 'tenc') box.tenc = readTenc(s.payload);
        else if (s.type === 'uuid' && s.uuid === UUID_PIFF_TENC) box.piffTenc = readPiffTrackEncryption(s.payload);
      }
    }
  }
  return box;
}

export function writeSinf(box: BoxInput<Sinf>): Uint8Array {
  const children = [writeFrma({ dataFormat: box.originalFormat })];
  if (box.schm !== undefined) children.push(writeSchm(box.schm));
  const schi: Uint8Array[] = [];
  if (box.tenc !== undefined) schi.push(writeTenc(box.tenc));
  if (box.piffTenc !== undefined) schi.push(writePiffTrackEncryption(box.piffTenc));
  if (schi.length > 0) children.push(makeBox('schi', ...schi));
  return makeBox('sinf', ...children);
}
