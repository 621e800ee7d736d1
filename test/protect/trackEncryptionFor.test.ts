import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { trackEncryptionFor } from '../../src/protect/trackEncryptionFor.js';
import { fixtures } from '../e2e/helpers.js';
import { clearLevels, TEST_KEY } from './helpers.js';

test('trackEncryptionFor: deterministic IVs per key, KID and label; cbcs video 1:9, audio without pattern', async () => {
  const [video, audio] = await clearLevels([join(fixtures, 'clean', 'v120.ismv'), join(fixtures, 'clean', 'audio.isma')]);
  const v = (label: string, scheme: 'cenc' | 'cbcs' = 'cenc') => trackEncryptionFor({ kind: 'video', sampleEntry: video!.sampleEntry, scheme, key: TEST_KEY, label });
  assert.equal(v('video_120000').ivBase, v('video_120000').ivBase);
  assert.notEqual(v('video_120000').ivBase, v('video_250000').ivBase);
  const otherKey = trackEncryptionFor({ kind: 'video', sampleEntry: video!.sampleEntry, scheme: 'cenc', key: { kid: TEST_KEY.kid, key: new Uint8Array(16) }, label: 'video_120000' });
  assert.notEqual(otherKey.ivBase, v('video_120000').ivBase);
  const cbcs = v('video_120000', 'cbcs');
  assert.equal(cbcs.constantIv?.length, 16);
  assert.deepEqual([cbcs.pattern?.crypt, cbcs.pattern?.skip], [1, 9]);
  assert.deepEqual(cbcs.video?.codec, 'avc');
  assert.equal(cbcs.video?.nalLengthSize, 4);
  const a = trackEncryptionFor({ kind: 'audio', sampleEntry: audio!.sampleEntry, scheme: 'cbcs', key: TEST_KEY, label: 'audio_64000' });
  assert.equal(a.pattern, undefined);
  assert.equal(a.video, undefined);
  const explicit = trackEncryptionFor({ kind: 'audio', sampleEntry: audio!.sampleEntry, scheme: 'cbcs', key: TEST_KEY, label: 'x', explicitIv: new Uint8Array(16).fill(9) });
  assert.deepEqual(explicit.constantIv, new Uint8Array(16).fill(9));
});

test('trackEncryptionFor refuses short keys, text tracks and codecs without NAL structure, with typed errors', async () => {
  const [video] = await clearLevels([join(fixtures, 'clean', 'v120.ismv')]);
  const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;
  assert.throws(() => trackEncryptionFor({ kind: 'video', sampleEntry: video!.sampleEntry, scheme: 'cenc', key: { kid: TEST_KEY.kid, key: new Uint8Array(8) }, label: 'v' }), code('cli.bad-option'));
  assert.throws(() => trackEncryptionFor({ kind: 'text', sampleEntry: { format: 'stpp' }, scheme: 'cenc', key: TEST_KEY, label: 't' }), code('input.unsupported'));
  assert.throws(() => trackEncryptionFor({ kind: 'video', sampleEntry: { format: 'vp09' }, scheme: 'cenc', key: TEST_KEY, label: 'v' }), code('input.unsupported-codec'));
  assert.throws(() => trackEncryptionFor({ kind: 'video', sampleEntry: { format: 'avc1' }, scheme: 'cenc', key: TEST_KEY, label: 'v' }), code('input.unsupported-codec'));
});
