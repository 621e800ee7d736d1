import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { keyAssignmentsFromCpix, loadCpix, readCpix } from '../../src/protect/cpix.js';
import { formatUuid } from '../../src/protect/keyId.js';
import { readPlayReadyObjectBase64 } from '../../src/protect/playReady.js';
import { SYSTEM_IDS } from '../../src/protect/model.js';
import { SmoothpubError } from '../../src/errors.js';

const dir = 'test/fixtures/cpix';
const read = (name: string): string => readFileSync(`${dir}/${name}`, 'utf8');

/** The error `f` throws, which must be a SmoothpubError of `code`; never holding any of `secrets`. */
function thrown(f: () => unknown, code: string, secrets: string[] = []): SmoothpubError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof SmoothpubError, `a SmoothpubError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const s of secrets) assert.ok(!e.message.includes(s) && !JSON.stringify(e.toJSON()).includes(s), `the error holds a secret: ${e.message}`);
    return e;
  }
  assert.fail(`expected ${code}`);
}

/** Every PlainValue of a document: what must never appear in a message. */
function plainValues(xml: string): string[] {
  return [...xml.matchAll(/PlainValue>\s*([^<\s]+)\s*</g)].flatMap((m) => [m[1]!, Buffer.from(m[1]!, 'base64').toString('hex')]);
}

test("the specification's example with clear content keys: four 16-byte keys by KID", () => {
  const doc = readCpix(read('ClearContentKeysOnly.xml'), 'ClearContentKeysOnly.xml');
  assert.deepEqual(doc.contentKeys.map((k) => formatUuid(k.kid)), ['40d02dd1-61a3-4787-a155-572325d47b80', '0a30ea4f-539d-4b02-94b2-2b3fba2576d3', '9f7908fa-5d5c-4097-ba53-50edc2235fbc', 'fac2cbf5-889c-412b-a385-04a29d409bdc']);
  assert.equal(Buffer.from(doc.contentKeys[0]!.key).toString('base64'), 'gPxt0PMwrHM4TdjwdQmhhQ==');
  assert.deepEqual(doc.drmSystems, []);
  // Four keys and no usage rules: which is for which track is not said.
  thrown(() => keyAssignmentsFromCpix(doc, 'ClearContentKeysOnly.xml'), 'protect.bad-cpix', plainValues(read('ClearContentKeysOnly.xml')));
});

test("the specification's video and audio keys (VideoFilter, AudioFilter; explicitIV) become per-type key assignments", () => {
  const xml = read('KeyRotationMultiKeySinglePeriod.xml');
  const doc = readCpix(xml, 'k.xml');
  const assignments = keyAssignmentsFromCpix(doc, 'k.xml');
  assert.deepEqual(assignments.map((a) => [a.trackType, formatUuid(a.key.kid)]), [
    ['video', '7ce7f10d-a91b-41b9-b331-7999fd1abf4c'],
    ['audio', '988395ce-667a-443a-b9cc-58ad7875a687'],
  ]);
  assert.equal(Buffer.from(assignments[0]!.key.key).toString('base64'), 's/zSNTG4TR2jY04srqSqFQ==');
  assert.equal(formatUuid(assignments[0]!.explicitIv!), 'f45bcebb-f0df-4a34-bf4e-c24edfcf6289');
});

test('refused examples: no keys, encrypted keys, key rotation, rules by label alone', () => {
  thrown(() => readCpix(read('EmptyDocument.xml'), 'EmptyDocument.xml'), 'protect.bad-cpix');
  const encrypted = thrown(() => readCpix(read('EncryptedContentKeys.xml'), 'EncryptedContentKeys.xml'), 'protect.cpix-encrypted');
  assert.match(encrypted.message, /export the document with clear keys/);
  assert.equal(encrypted.context.file, 'EncryptedContentKeys.xml');
  thrown(() => readCpix(read('KeyRotationMultiKeyMulitPeriod.xml'), 'r.xml'), 'protect.bad-cpix');
  const labels = read('UsageRulesBasedOnLabels.xml');
  const e = thrown(() => keyAssignmentsFromCpix(readCpix(labels, 'l.xml'), 'l.xml'), 'protect.bad-cpix', plainValues(labels));
  assert.match(e.message, /LabelFilter/);
});

test('a CPIX 2.3 document with DRM system data: PSSH, ContentProtectionData, HLS signalling and the Smooth header per KID', () => {
  const xml = read('Cpix23Signalling.xml');
  const doc = readCpix(xml, 'Cpix23Signalling.xml');
  assert.equal(doc.contentKeys.length, 2);
  assert.equal(doc.contentKeys[0]!.commonEncryptionScheme, 'cenc');
  assert.deepEqual(doc.drmSystems.map((s) => [s.systemId, formatUuid(s.kid)]), [
    [SYSTEM_IDS.playReady, '6e5a1d26-2757-47d7-8046-eaa5d1d34b5a'],
    [SYSTEM_IDS.widevine, '6e5a1d26-2757-47d7-8046-eaa5d1d34b5a'],
    [SYSTEM_IDS.playReady, '8e2f0b6c-4f3a-4e0e-9d4e-3b1c2a5f7e90'],
    [SYSTEM_IDS.widevine, '8e2f0b6c-4f3a-4e0e-9d4e-3b1c2a5f7e90'],
  ]);
  const pr = doc.drmSystems[0]!;
  assert.equal(Buffer.from(pr.pssh!.subarray(4, 8)).toString('latin1'), 'pssh');
  assert.match(pr.contentProtectionData!, /^<cenc:pssh xmlns:cenc="urn:mpeg:cenc:2013">/);
  assert.deepEqual(pr.hlsSignalingData.map((h) => h.playlist), ['media', 'master']);
  assert.match(pr.hlsSignalingData[0]!.text, /^#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="data:text\/plain;charset=UTF-16;base64,/);
  const header = readPlayReadyObjectBase64(pr.smoothStreamingProtectionHeaderData!).header;
  assert.equal(formatUuid(header.kids[0]!.kid), '6e5a1d26-2757-47d7-8046-eaa5d1d34b5a');
  assert.equal(header.laUrl, 'https://playready.example.com/rightsmanager.asmx');
  assert.deepEqual(keyAssignmentsFromCpix(doc, 'c').map((a) => a.trackType), ['video', 'audio']);
});

test('typed errors for a wrong key length, a KID missing from the key list, an unknown system ID, bad XML; none quotes a key', () => {
  const xml = read('Cpix23Signalling.xml');
  const secrets = plainValues(xml);
  const first = /PlainValue>([^<]+)</.exec(xml)![1]!;
  // 15-byte key
  const short = xml.replace(first, Buffer.from(first, 'base64').subarray(0, 15).toString('base64'));
  assert.match(thrown(() => readCpix(short, 'c.xml'), 'protect.bad-cpix', [...secrets, ...plainValues(short)]).message, /15 bytes/);
  // A DRMSystem whose KID the ContentKeyList lacks
  const mismatch = xml.replace('<cpix:DRMSystem kid="6e5a1d26-2757-47d7-8046-eaa5d1d34b5a"', '<cpix:DRMSystem kid="00000000-2757-47d7-8046-eaa5d1d34b5a"');
  assert.match(thrown(() => readCpix(mismatch, 'c.xml'), 'protect.bad-cpix', secrets).message, /00000000-2757-47d7-8046-eaa5d1d34b5a/);
  // A usage rule whose KID the ContentKeyList lacks
  const ruleMismatch = xml.replace('<cpix:ContentKeyUsageRule kid="8e2f0b6c', '<cpix:ContentKeyUsageRule kid="9e2f0b6c');
  thrown(() => readCpix(ruleMismatch, 'c.xml'), 'protect.bad-cpix', secrets);
  // Marlin's system ID: known to DASH-IF, not signalled by smoothpub
  const marlin = xml.replace('systemId="edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"', 'systemId="5e629af5-38da-4063-8977-97ffbd9902d4"');
  const unknown = thrown(() => readCpix(marlin, 'c.xml'), 'protect.unsupported-system', secrets);
  assert.match(unknown.message, /5e629af5-38da-4063-8977-97ffbd9902d4/);
  thrown(() => readCpix(xml.replace('systemId="edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"', 'systemId="widevine"'), 'c.xml'), 'protect.bad-cpix', secrets);
  thrown(() => readCpix(xml.slice(0, 800), 'c.xml'), 'protect.bad-cpix', secrets);
  thrown(() => readCpix('<MPD/>', 'c.xml'), 'protect.bad-cpix');
  // Two keys for video
  const twoVideo = xml.replace('<cpix:AudioFilter/>', '<cpix:VideoFilter/>');
  thrown(() => keyAssignmentsFromCpix(readCpix(twoVideo, 'c.xml'), 'c.xml'), 'protect.bad-cpix', secrets);
});

test('loadCpix reads a file, a UTF-16 file and an http URL; a failing key server is named by origin only', async () => {
  const fromFile = await loadCpix(`${dir}/KeyRotationMultiKeySinglePeriod.xml`);
  assert.equal(fromFile.contentKeys.length, 2);
  const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const tmp = mkdtempSync(join(tmpdir(), 'smoothpub-cpix-'));
  try {
    const utf16 = join(tmp, 'u16.xml');
    writeFileSync(utf16, Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from(read('ClearContentKeysOnly.xml').replace(/^\uFEFF/, ''), 'utf16le')]));
    assert.equal((await loadCpix(utf16)).contentKeys.length, 4);
    await assert.rejects(loadCpix(join(tmp, 'missing.xml')), (e: unknown) => e instanceof SmoothpubError && e.code === 'input.read-failed');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const body = read('Cpix23Signalling.xml');
  const server = createServer((req, res) => {
    if (req.url === '/cpix/ok') res.end(body);
    else res.writeHead(403).end('no');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  try {
    assert.equal((await loadCpix(`http://127.0.0.1:${port}/cpix/ok`)).drmSystems.length, 4);
    const token = 'secret-token-123';
    await assert.rejects(loadCpix(`http://127.0.0.1:${port}/cpix/${token}`), (e: unknown) => {
      assert.ok(e instanceof SmoothpubError && e.code === 'protect.bad-cpix');
      assert.match(e.message, /403/);
      assert.ok(!e.message.includes(token), e.message);
      return true;
    });
  } finally {
    server.close();
  }
});
