import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readWidevinePsshData, writeWidevinePsshData } from '../../src/protect/widevine.js';

const KID = Uint8Array.from(Buffer.from('0123456789abcdef0123456789abcdef', 'hex'));

test('WidevinePsshData: key_id (field 2), provider (3), content_id (4), protection_scheme (9) byte for byte', () => {
  assert.deepEqual(writeWidevinePsshData({ kids: [KID], provider: 'ab', contentId: Uint8Array.of(7, 8), protectionScheme: 'cbcs' }), Uint8Array.of(
    0x12, 16, ...KID, // field 2, length-delimited, 16 bytes
    0x1a, 2, 0x61, 0x62, // field 3 'ab'
    0x22, 2, 7, 8, // field 4
    0x48, 0xf3, 0xc6, 0x89, 0x9b, 0x06)); // field 9, varint 0x63626373 ('cbcs')
  const back = readWidevinePsshData(writeWidevinePsshData({ kids: [KID, KID], provider: 'ab', contentId: Uint8Array.of(7, 8), protectionScheme: 'cenc' }));
  assert.deepEqual(back, { kids: [KID, KID], provider: 'ab', contentId: Uint8Array.of(7, 8), protectionScheme: 'cenc' });
});

test('the reader skips fields it does not know and refuses data cut short', () => {
  // field 1 (algorithm, varint 1) and field 6 (policy, string) around a key_id
  const bytes = Uint8Array.of(0x08, 1, 0x12, 16, ...KID, 0x32, 1, 0x70);
  assert.deepEqual(readWidevinePsshData(bytes), { kids: [KID] });
  assert.throws(() => readWidevinePsshData(bytes.subarray(0, 10)), (e: unknown) => e instanceof Error && 'code' in e && e.code === 'protect.bad-protection');
});
