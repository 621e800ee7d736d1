import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { playReadyChecksum, readPlayReadyObject, readPlayReadyObjectBase64, readWrmHeader, writePlayReadyObject, writeWrmHeader } from '../../src/protect/playReady.js';
import { formatUuid, swapGuidBytes } from '../../src/protect/keyId.js';
import { SmoothpubError } from '../../src/errors.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const KID = hex('0123456789abcdef0123456789abcdef');
const KEY = hex('a1b2c3d4e5f60718293a4b5c6d7e8f90');
const KID2 = hex('11112222333344445555666677778888');
const KEY2 = hex('99990000aaaabbbbccccddddeeeeffff');

// The PlayReady Header Specification's own example (section 3.6.1): a PlayReady Object with
// a 4.0.0.0 header whose KID is q5HgCTj40kGeNVhTH9Gexw== (GUID order) and CHECKSUM w+OZVr8vzrQ=.
const SPEC_PRO =
  'XAMAAAEAAQBSAzwAVwBSAE0ASABFAEEARABFAFIAIAB4AG0AbABuAHMAPQAiAGgAdAB0AHAAOgAvAC8AcwBjAGgAZQBtAGEAcwAuAG0AaQBjAHIAbwBzAG8AZgB0AC4AYwBvAG0ALwBEAFIATQAvADIAMAAwADcALwAwADMALwBQAGwAYQB5AFIAZQBhAGQAeQBIAGUAYQBkAGUAcgAiACAAdgBlAHIAcwBpAG8AbgA9ACIANAAuADAALgAwAC4AMAAiAD4APABEAEEAVABBAD4APABQAFIATwBUAEUAQwBUAEkATgBGAE8APgA8AEsARQBZAEwARQBOAD4AMQA2ADwALwBLAEUAWQBMAEUATgA+ADwAQQBMAEcASQBEAD4AQQBFAFMAQwBUAFIAPAAvAEEATABHAEkARAA+ADwALwBQAFIATwBUAEUAQwBUAEkATgBGAE8APgA8AEsASQBEAD4AcQA1AEgAZwBDAFQAagA0ADAAawBHAGUATgBWAGgAVABIADkARwBlAHgAdwA9AD0APAAvAEsASQBEAD4APABDAEgARQBDAEsAUwBVAE0APgB3ACsATwBaAFYAcgA4AHYAegByAFEAPQA8AC8AQwBIAEUAQwBLAFMAVQBNAD4APABMAEEAXwBVAFIATAA+AGgAdAB0AHAAcwA6AC8ALwBwAHIAbwBmAGYAaQBjAGkAYQBsAHMAaQB0AGUALgBrAGUAeQBkAGUAbABpAHYAZQByAHkALgBtAGUAZABpAGEAcwBlAHIAdgBpAGMAZQBzAC4AdwBpAG4AZABvAHcAcwAuAG4AZQB0AC8AUABsAGEAeQBSAGUAYQBkAHkALwA8AC8ATABBAF8AVQBSAEwAPgA8AEMAVQBTAFQATwBNAEEAVABUAFIASQBCAFUAVABFAFMAPgA8AEkASQBTAF8ARABSAE0AXwBWAEUAUgBTAEkATwBOAD4AOAAuADAALgAxADcAMAA1AC4AMQA5ADwALwBJAEkAUwBfAEQAUgBNAF8AVgBFAFIAUwBJAE8ATgA+ADwALwBDAFUAUwBUAE8ATQBBAFQAVABSAEkAQgBVAFQARQBTAD4APAAvAEQAQQBUAEEAPgA8AC8AVwBSAE0ASABFAEEARABFAFIAPgA=';

test("the specification's PlayReady Object reads back its KID (GUID order swapped to UUID order), CHECKSUM and LA_URL", () => {
  const { header, records } = readPlayReadyObjectBase64(SPEC_PRO);
  assert.equal(records.length, 1);
  assert.equal(header.version, '4.0.0.0');
  assert.equal(header.kids.length, 1);
  // GUID ab91e009-f838-... is stored as ab 91 e0 09 | 38 f8 | d2 41 |...: in UUID order the
  // version nibble (4) lands where RFC 4122 puts it, which only the swapped order gives.
  assert.equal(formatUuid(header.kids[0]!.kid), '09e091ab-f838-41d2-9e35-58531fd19ec7');
  assert.equal(Buffer.from(swapGuidBytes(header.kids[0]!.kid)).toString('base64'), 'q5HgCTj40kGeNVhTH9Gexw==');
  assert.equal(Buffer.from(header.kids[0]!.checksum!).toString('base64'), 'w+OZVr8vzrQ=');
  assert.equal(header.kids[0]!.algId, 'AESCTR');
  assert.equal(header.laUrl, 'https://profficialsite.keydelivery.mediaservices.windows.net/PlayReady/');
});

test('a PlayReady Object: little-endian length, one record of type 1, UTF-16LE WRMHEADER 4.0', () => {
  const pro = writePlayReadyObject({ keys: [{ kid: KID, key: KEY }], scheme: 'cenc', laUrl: 'https://lic.example/pr?a=1&b=2' });
  const view = new DataView(pro.buffer, pro.byteOffset, pro.byteLength);
  assert.equal(view.getUint32(0, true), pro.length);
  assert.equal(view.getUint16(4, true), 1); // record count
  assert.equal(view.getUint16(6, true), 1); // record type: PlayReady Header
  assert.equal(view.getUint16(8, true), pro.length - 10);
  const xml = new TextDecoder('utf-16le').decode(pro.subarray(10));
  const kidGuid = Buffer.from(swapGuidBytes(KID)).toString('base64');
  assert.equal(kidGuid, 'Z0UjAauJ780BI0VniavN7w=='); // 67452301 ab89 efcd 0123...: the first three fields reversed
  const checksum = Buffer.from(playReadyChecksum(KID, KEY)).toString('base64');
  assert.equal(
    xml,
    `<WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" version="4.0.0.0"><DATA><PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO><KID>${kidGuid}</KID><CHECKSUM>${checksum}</CHECKSUM><LA_URL>https://lic.example/pr?a=1&amp;b=2</LA_URL></DATA></WRMHEADER>`,
  );
  const back = readPlayReadyObject(pro).header;
  assert.deepEqual(back.kids[0]!.kid, KID);
  assert.equal(back.laUrl, 'https://lic.example/pr?a=1&b=2');
});

test('CHECKSUM is the first 8 bytes of AES-ECB(key, KID in GUID order), not of the KID in UUID order', () => {
  const checksum = playReadyChecksum(KID, KEY);
  assert.equal(checksum.length, 8);
  const ecb = (block: Uint8Array): Uint8Array => Uint8Array.from(createCipheriv('aes-128-ecb', KEY, null).setAutoPadding(false).update(block).subarray(0, 8));
  assert.deepEqual(checksum, ecb(swapGuidBytes(KID)));
  assert.notDeepEqual(checksum, ecb(KID));
  // The inputs are left as they were (a Buffer's slice is a view: a swap in place would change the caller's KID).
  assert.equal(Buffer.from(KID).toString('hex'), '0123456789abcdef0123456789abcdef');
});

test('every header version round-trips: the reader gets each KID and CHECKSUM back, and the checksum matches the key', () => {
  const cases = [
    { version: '4.0.0.0' as const, keys: [{ kid: KID, key: KEY }] },
    { version: '4.1.0.0' as const, keys: [{ kid: KID, key: KEY }] },
    { version: '4.2.0.0' as const, keys: [{ kid: KID, key: KEY }, { kid: KID2, key: KEY2 }] },
    { version: '4.3.0.0' as const, keys: [{ kid: KID, key: KEY }, { kid: KID2, key: KEY2 }] },
  ];
  for (const c of cases) {
    const header = readPlayReadyObject(writePlayReadyObject({ keys: c.keys, scheme: 'cenc', version: c.version, laUrl: 'https://lic.example/' })).header;
    assert.equal(header.version, c.version);
    assert.equal(header.laUrl, 'https://lic.example/');
    assert.deepEqual(header.kids.map((k) => formatUuid(k.kid)), c.keys.map((k) => formatUuid(k.kid)));
    header.kids.forEach((k, i) => {
      assert.equal(k.algId, 'AESCTR');
      assert.deepEqual(k.checksum, playReadyChecksum(c.keys[i]!.kid, c.keys[i]!.key), `${c.version} KID ${i}`);
    });
  }
  // By default: 4.0 for one cenc key, 4.2 for several.
  assert.match(writeWrmHeader({ keys: [{ kid: KID }], scheme: 'cenc' }), /version="4\.0\.0\.0"/);
  assert.match(writeWrmHeader({ keys: [{ kid: KID }, { kid: KID2 }], scheme: 'cenc' }), /version="4\.2\.0\.0"/);
  // Without the key, or when asked, no CHECKSUM.
  assert.doesNotMatch(writeWrmHeader({ keys: [{ kid: KID }], scheme: 'cenc' }), /CHECKSUM/);
  assert.doesNotMatch(writeWrmHeader({ keys: [{ kid: KID, key: KEY }], scheme: 'cenc', checksum: false }), /CHECKSUM/);
});

test('cbcs: header 4.3 with ALGID AESCBC on each KID and no CHECKSUM (the spec defines none for AESCBC)', () => {
  const xml = writeWrmHeader({ keys: [{ kid: KID, key: KEY }], scheme: 'cbcs' });
  assert.equal(
    xml,
    `<WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" version="4.3.0.0"><DATA><PROTECTINFO><KIDS><KID ALGID="AESCBC" VALUE="${Buffer.from(swapGuidBytes(KID)).toString('base64')}"></KID></KIDS></PROTECTINFO></DATA></WRMHEADER>`,
  );
  const back = readWrmHeader(xml);
  assert.equal(back.kids[0]!.algId, 'AESCBC');
  assert.equal(back.kids[0]!.checksum, undefined);
});

test('headers that cannot say what is asked, and broken objects, are typed errors', () => {
  const code = (e: unknown): boolean => e instanceof SmoothpubError && e.code === 'protect.bad-playready-header';
  assert.throws(() => writePlayReadyObject({ keys: [{ kid: KID }], scheme: 'cbcs', version: '4.2.0.0' }), code);
  assert.throws(() => writePlayReadyObject({ keys: [{ kid: KID }, { kid: KID2 }], scheme: 'cenc', version: '4.1.0.0' }), code);
  assert.throws(() => writePlayReadyObject({ keys: [], scheme: 'cenc' }), code);
  const pro = writePlayReadyObject({ keys: [{ kid: KID }], scheme: 'cenc' });
  assert.throws(() => readPlayReadyObject(pro.subarray(0, pro.length - 2)), code);
  const noHeader = pro.slice();
  noHeader[6] = 3; // record type 3: an embedded license store
  assert.throws(() => readPlayReadyObject(noHeader), code);
  assert.throws(() => readPlayReadyObjectBase64('not base64!'), code);
});
