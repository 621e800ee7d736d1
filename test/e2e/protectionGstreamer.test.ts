// GStreamer's Smooth demuxer on a Manifest with a PlayReady ProtectionHeader written by
// signallingFor: mssdemux parses the Manifest, takes the PlayReady SystemID and then asks
// for a decryptor element, which a stock GStreamer 1.22 has none of, so it stops with
// "stream is protected, but no suitable decryptor element has been found" instead of
// playing. That message (mssdemux's setup of the streams, after the Manifest parsed and
// the ProtectionHeader was taken) is what the test expects; controls show the harness tells
// it apart from playing (the same Manifest without Protection, and with a Protection element
// holding no ProtectionHeader: mssdemux takes a stream as protected by its header's SystemID
// and data) and from a Manifest that does not parse. (1.22's mssdemux does not compare the
// SystemID with PlayReady's; it looks for a decryptor of whatever system is named.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startStaticServer } from '../../src/play/staticServer.js';
import { signallingFor } from '../../src/protect/signalling.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { writeManifest } from '../../src/smooth/writeManifest.js';
import { fixtureSets, gstResult, packageFixture, requireTools, run } from './helpers.js';

const KEY = { kid: Uint8Array.from(Buffer.from('6e5a1d26275747d78046eaa5d1d34b5a', 'hex')), key: Uint8Array.from(Buffer.from('2a6f1c0e9b8d7a6f5e4d3c2b1a09f8e7', 'hex')) };

test('GStreamer mssdemux reads a Manifest with a PlayReady ProtectionHeader and asks for a PlayReady decryptor', { timeout: 180_000 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0', 'env', 'timeout')) return;
  const p = await packageFixture(fixtureSets.clean);
  t.after(() => p.cleanup());
  const path = join(p.dir, 'Manifest');
  const clear = await readFile(path, 'utf8');
  const presentation = readManifest(clear);
  const { smooth } = signallingFor({ scheme: 'cenc', playReadyLaUrl: 'https://pr.example/rightsmanager.asmx' }, { video: KEY, audio: KEY });
  const manifests = {
    clear,
    playReady: writeManifest({ ...presentation, protection: smooth }),
  };
  const emptyProtection = manifests.playReady.replace(/<ProtectionHeader[^>]*>[^<]*<\/ProtectionHeader>/, '');
  assert.notEqual(emptyProtection, manifests.playReady);
  assert.match(emptyProtection, /<Protection>\s*<\/Protection>/);
  // smoothpub's own reader reads the protected Manifest back as written.
  assert.deepEqual(readManifest(manifests.playReady).protection, smooth);
  const truncated = manifests.playReady.slice(0, manifests.playReady.indexOf('<ProtectionHeader') + 30);

  const server = await startStaticServer({ root: p.dir, host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const play = async (text: string) => {
    await writeFile(path, text);
    const r = await run('env', ['GST_DEBUG=mssdemux:1', 'GST_DEBUG_NO_COLOR=1', 'gst-launch-1.0', 'playbin', `uri=${server.url}video.ism/Manifest`, 'video-sink=checksumsink', 'audio-sink=fakesink'], 90);
    return { ...gstResult(r), log: `${r.stderr}\n${r.stdout}` };
  };

  const protectedRun = await play(manifests.playReady);
  const tail = `\n--- output ---\n${protectedRun.log.slice(-2500)}`;
  assert.match(protectedRun.log, /gst_mss_demux_setup_streams.*stream is protected, but no suitable decryptor element has been found/, `mssdemux accepted PlayReady and asked for a decryptor${tail}`);
  assert.doesNotMatch(protectedRun.log, /Unsupported protection system|Failed to parse|parse manifest/i, tail);
  assert.equal(protectedRun.frames, 0, 'nothing played without a decryptor');

  const clearRun = await play(manifests.clear);
  assert.ok(clearRun.eos && clearRun.frames > 0, `the same presentation without Protection plays${clearRun.log.slice(-1500)}`);
  assert.doesNotMatch(clearRun.log, /protected/);

  const emptyRun = await play(emptyProtection);
  assert.ok(emptyRun.eos && emptyRun.frames === clearRun.frames, `a Protection element without a header is not protection to mssdemux${emptyRun.log.slice(-1500)}`);

  const brokenRun = await play(truncated);
  assert.notEqual(brokenRun.code, 0);
  assert.doesNotMatch(brokenRun.log, /stream is protected/, 'a Manifest that does not parse never gets as far as the protection');
});
