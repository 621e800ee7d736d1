import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAssignments, keysForTracks, parseKeyOption } from '../../src/protect/keys.js';
import { formatUuid } from '../../src/protect/keyId.js';
import { SmoothpubError } from '../../src/errors.js';

const KID_HEX = '0123456789abcdef0123456789abcdef';
const KEY_HEX = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const KEY_BASE64 = Buffer.from(KEY_HEX, 'hex').toString('base64'); // 24 characters with ==

/** Runs `f`, which must throw a SmoothpubError of `code`, and returns it. */
function thrown(f: () => unknown, code: string): SmoothpubError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof SmoothpubError, `a SmoothpubError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

test('parseKeyOption reads hex, dashed-UUID and base64 KIDs and keys, with and without a track type', () => {
  const hex = parseKeyOption(`${KID_HEX}:${KEY_HEX}`);
  assert.equal(Buffer.from(hex.key.kid).toString('hex'), KID_HEX);
  assert.equal(Buffer.from(hex.key.key).toString('hex'), KEY_HEX);
  assert.equal(hex.trackType, undefined);

  const dashed = parseKeyOption(`video=${formatUuid(hex.key.kid)}:${KEY_HEX.toUpperCase()}`);
  assert.deepEqual(dashed.key, hex.key);
  assert.equal(dashed.trackType, 'video');

  const b64 = parseKeyOption(`audio=${Buffer.from(KID_HEX, 'hex').toString('base64').replace(/=+$/, '')}:${KEY_BASE64}`);
  assert.deepEqual(b64.key, hex.key);
  assert.equal(b64.trackType, 'audio');
  // URL-safe base64 as some key servers print it
  const urlSafe = Buffer.from('fbff' + KEY_HEX.slice(4), 'hex').toString('base64url');
  assert.equal(Buffer.from(parseKeyOption(`text=${KID_HEX}:${urlSafe}`).key.key).toString('hex'), 'fbff' + KEY_HEX.slice(4));
});

test('parseKeyOption refuses wrong lengths, characters and shapes with protect.bad-key, never quoting the key', () => {
  const cases = [
    `${KID_HEX}:${KEY_HEX.slice(2)}`, // 15-byte key
    `${KID_HEX}:${KEY_HEX}00`, // 17-byte key
    `${KID_HEX}:${KEY_HEX.slice(0, 31)}z`, // a non-hex character
    `${KID_HEX}:${KEY_BASE64.slice(0, 20)}!!==`, // base64 with a wrong character
    `${KID_HEX.slice(2)}:${KEY_HEX}`, // short KID
    KEY_HEX, // no ':'
    `${KID_HEX}:${KEY_HEX}:${KEY_HEX}`, // two ':'
    `subtitles=${KID_HEX}:${KEY_HEX}`, // unknown track type
  ];
  for (const value of cases) {
    const e = thrown(() => parseKeyOption(value), 'protect.bad-key');
    for (const secret of [KEY_HEX, KEY_HEX.slice(2), KEY_HEX.slice(0, 31), KEY_BASE64.slice(0, 20)]) {
      assert.ok(!e.message.includes(secret), `${JSON.stringify(value)}: the message must not hold the key: ${e.message}`);
      assert.ok(!JSON.stringify(e.toJSON()).includes(secret));
    }
  }
  // The KID may be named: it is not a secret and says which key is wrong.
  assert.match(thrown(() => parseKeyOption(`${KID_HEX}:${KEY_HEX.slice(2)}`), 'protect.bad-key').message, /01234567-89ab-cdef-0123-456789abcdef/);
});

test('keysForTracks: one key for all, per-type keys overriding it, and typed errors for conflicts and gaps', () => {
  const all = parseKeyOption(`${KID_HEX}:${KEY_HEX}`);
  const audio = parseKeyOption(`audio=${'11'.repeat(16)}:${'22'.repeat(16)}`);
  const oneForAll = keysForTracks([all], ['video', 'audio']);
  assert.equal(oneForAll.get('video'), all);
  assert.equal(oneForAll.get('audio'), all);

  const perType = keysForTracks([all, audio], ['video', 'audio']);
  assert.equal(perType.get('video'), all);
  assert.equal(perType.get('audio'), audio);

  const missing = thrown(() => keysForTracks([audio], ['video', 'audio']), 'protect.missing-key');
  assert.match(missing.message, /video/);
  assert.match(missing.message, /--key video=/);

  thrown(() => keysForTracks([audio, parseKeyOption(`audio=${'33'.repeat(16)}:${'44'.repeat(16)}`)], ['audio']), 'protect.key-conflict');
  thrown(() => checkAssignments([all, parseKeyOption(`${'55'.repeat(16)}:${'66'.repeat(16)}`)]), 'protect.key-conflict');
  // One KID with two different keys contradicts itself; the message names the KID only.
  const contradiction = thrown(() => checkAssignments([all, parseKeyOption(`video=${KID_HEX}:${'77'.repeat(16)}`)]), 'protect.key-conflict');
  assert.match(contradiction.message, /01234567-89ab-cdef-0123-456789abcdef/);
  assert.ok(!contradiction.message.includes(KEY_HEX) && !contradiction.message.includes('77'.repeat(16)));
  // The same KID and key for two types is no contradiction.
  assert.doesNotThrow(() => checkAssignments([all, parseKeyOption(`video=${KID_HEX}:${KEY_HEX}`)]));
});

test('--widevine-pssh: a whole Widevine pssh box in base64 is taken as given; anything else is cli.bad-option', async () => {
  const { parseWidevinePsshOption } = await import('../../src/protect/signalling.js');
  // Shaka Packager's Widevine pssh for KID 0123456789abcdef0123456789abcdef (cenc).
  const shaka = 'AAAAOHBzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAABgSEAEjRWeJq83vASNFZ4mrze9I49yVmwY=';
  assert.equal(Buffer.from(parseWidevinePsshOption(shaka)).toString('base64'), shaka);
  const bad = (value: string): void => void thrown(() => parseWidevinePsshOption(value), 'cli.bad-option');
  bad('not base64!');
  bad(shaka.slice(0, 40)); // cut short
  // A PlayReady pssh is not a Widevine one.
  bad(Buffer.concat([Buffer.from(shaka, 'base64').subarray(0, 12), Buffer.from('9a04f07998404286ab92e65be0885f95', 'hex'), Buffer.from(shaka, 'base64').subarray(28)]).toString('base64'));
});
