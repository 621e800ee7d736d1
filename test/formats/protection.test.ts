// The signalling of protected presentations in the MPD and the HLS playlists (and the
// Smooth ProtectionHeader signallingFor builds), read back with smoothpub's readers and
// checked against the HLS rules; keys never appear in any written document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readMpd } from '../../src/formats/dash/readMpd.js';
import { writeMpd } from '../../src/formats/dash/writeMpd.js';
import { checkHlsRules } from '../../src/formats/hls/checkHlsRules.js';
import { readMediaPlaylist, readMultivariantPlaylist } from '../../src/formats/hls/readPlaylists.js';
import { writeHls, type HlsPlaylists } from '../../src/formats/hls/writePlaylists.js';
import type { FormatPresentation } from '../../src/formats/model.js';
import { Cursor } from '../../src/bmff/cursor.js';
import { readBoxHeader } from '../../src/bmff/box.js';
import { readPssh } from '../../src/bmff/pssh.js';
import { readCpix } from '../../src/protect/cpix.js';
import { formatUuid } from '../../src/protect/keyId.js';
import { SYSTEM_IDS } from '../../src/protect/model.js';
import { readPlayReadyObjectBase64 } from '../../src/protect/playReady.js';
import { signallingFor, type ProtectionSettings } from '../../src/protect/signalling.js';
import { readWidevinePsshData } from '../../src/protect/widevine.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { writeManifest } from '../../src/smooth/writeManifest.js';
import { SmoothpubError } from '../../src/errors.js';
import { fixtureSets } from '../e2e/helpers.js';
import { loadFormatFixture } from './formatFixture.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const VIDEO = { kid: hex('6e5a1d26275747d78046eaa5d1d34b5a'), key: hex('2a6f1c0e9b8d7a6f5e4d3c2b1a09f8e7') };
const AUDIO = { kid: hex('8e2f0b6c4f3a4e0e9d4e3b1c2a5f7e90'), key: hex('1f2e3d4c5b6a79880796a5b4c3d2e1f0') };
/** Every form a key could leak in. */
const SECRETS = [VIDEO.key, AUDIO.key].flatMap((k) => [Buffer.from(k).toString('hex'), Buffer.from(k).toString('hex').toUpperCase(), Buffer.from(k).toString('base64'), Buffer.from(k).toString('base64').replace(/=+$/, ''), Buffer.from(k).toString('base64url')]);

const base = (await loadFormatFixture(fixtureSets.clean.inputs)).format;

function protectedPresentation(settings: ProtectionSettings): { format: FormatPresentation; smooth: ReturnType<typeof signallingFor>['smooth'] } {
  const s = signallingFor(settings, { video: VIDEO, audio: AUDIO });
  return { format: { ...base, protection: s.format }, smooth: s.smooth };
}

function assertNoSecrets(text: string, what: string): void {
  for (const secret of SECRETS) assert.ok(!text.includes(secret), `${what} holds a key`);
}

function pssh(base64: string): ReturnType<typeof readPssh> {
  const bytes = Buffer.from(base64, 'base64');
  const c = new Cursor(bytes);
  const h = readBoxHeader(c, bytes.length);
  assert.equal(h.type, 'pssh');
  return readPssh(c.sub(h.size - h.headerSize, 'pssh'));
}

function readHls(p: HlsPlaylists): ReturnType<typeof checkHlsRules> {
  const master = readMultivariantPlaylist(p.master, { uri: 'master.m3u8' });
  return checkHlsRules(master, new Map(p.media.map((m) => [m.key, readMediaPlaylist(m.text, { uri: m.key })])));
}

test('MPD: mp4protection with cenc:default_KID, PlayReady (pssh + mspr:pro), Widevine and Clear Key per AdaptationSet, read back by readMpd', () => {
  const { format } = protectedPresentation({ scheme: 'cenc', playReadyLaUrl: 'https://pr.example/rightsmanager.asmx', clearKeyLaUrl: 'https://ck.example/license' });
  const xml = writeMpd(format);
  assertNoSecrets(xml, 'the MPD');
  assert.match(xml, /<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:cenc="urn:mpeg:cenc:2013" xmlns:mspr="urn:microsoft:playready" xmlns:dashif="https:\/\/dashif.org\/CPS"/);
  // Clear output is unchanged: no namespace, no ContentProtection.
  assert.doesNotMatch(writeMpd(base), /cenc|ContentProtection/);
  const sets = readMpd(xml).periods[0]!.adaptationSets;
  for (const [type, key] of [['video', VIDEO], ['audio', AUDIO]] as const) {
    const set = sets.find((s) => s.contentType === type)!;
    const [cenc, playReady, widevine, clearKey, ...rest] = set.contentProtection;
    assert.deepEqual(rest, []);
    assert.deepEqual(cenc, { schemeIdUri: 'urn:mpeg:dash:mp4protection:2011', value: 'cenc', defaultKid: formatUuid(key.kid) });
    assert.equal(playReady!.schemeIdUri, `urn:uuid:${SYSTEM_IDS.playReady}`);
    assert.equal(playReady!.value, 'MSPR 2.0');
    const header = readPlayReadyObjectBase64(playReady!.pro!).header;
    assert.equal(formatUuid(header.kids[0]!.kid), formatUuid(key.kid));
    assert.equal(header.laUrl, 'https://pr.example/rightsmanager.asmx');
    assert.deepEqual(pssh(playReady!.pssh!).data, Uint8Array.from(Buffer.from(playReady!.pro!, 'base64')));
    assert.equal(widevine!.schemeIdUri, `urn:uuid:${SYSTEM_IDS.widevine}`);
    const wv = readWidevinePsshData(pssh(widevine!.pssh!).data);
    assert.deepEqual(wv.kids.map(formatUuid), [formatUuid(key.kid)]);
    assert.equal(wv.protectionScheme, 'cenc');
    assert.equal(clearKey!.schemeIdUri, `urn:uuid:${SYSTEM_IDS.clearKey}`);
    assert.equal(clearKey!.laUrl, 'https://ck.example/license');
    const common = pssh(clearKey!.pssh!);
    assert.equal(common.version, 1);
    assert.equal(formatUuid(Uint8Array.from(Buffer.from(common.systemId, 'hex'))), SYSTEM_IDS.common);
    assert.deepEqual(common.kids.map(formatUuid), [formatUuid(key.kid)]);
  }
});

test('HLS cenc: SAMPLE-AES-CTR EXT-X-KEY for PlayReady and Widevine before EXT-X-MAP, the same as EXT-X-SESSION-KEY in the master; the rules hold', () => {
  const { format } = protectedPresentation({ scheme: 'cenc' });
  const hls = writeHls(format);
  assert.deepEqual(readHls(hls), []);
  for (const m of hls.media) assertNoSecrets(m.text, m.key);
  assertNoSecrets(hls.master, 'the master playlist');
  const video = hls.media.find((m) => m.key.startsWith('video'))!;
  const playlist = readMediaPlaylist(video.text);
  assert.deepEqual(playlist.keys.map((k) => [k.method, k.keyFormat, k.keyFormatVersions, k.keyId]), [
    ['SAMPLE-AES-CTR', 'com.microsoft.playready', '1', undefined], // the PlayReady Object names the KID
    ['SAMPLE-AES-CTR', `urn:uuid:${SYSTEM_IDS.widevine}`, '1', Buffer.from(VIDEO.kid).toString('hex')],
  ]);
  assert.ok(playlist.keys.every((k) => k.line < playlist.map!.line), 'EXT-X-KEY before EXT-X-MAP');
  const pro = /^data:text\/plain;charset=UTF-16;base64,(.+)$/.exec(playlist.keys[0]!.uri!)![1]!;
  assert.equal(formatUuid(readPlayReadyObjectBase64(pro).header.kids[0]!.kid), formatUuid(VIDEO.kid));
  const master = readMultivariantPlaylist(hls.master);
  // Video's and audio's keys, once each.
  assert.equal(master.sessionKeys.length, 4);
  assert.ok(master.sessionKeys.every((k) => k.method === 'SAMPLE-AES-CTR'));
  // Clear playlists carry no key tag.
  const clear = writeHls(base);
  assert.doesNotMatch(clear.master + clear.media.map((m) => m.text).join(''), /KEY/);
});

test('HLS cbcs with FairPlay: METHOD=SAMPLE-AES and an skd:// URI; FairPlay with cenc is a typed error', () => {
  const { format } = protectedPresentation({ scheme: 'cbcs', fairPlayUri: 'skd://key-server.example/asset-1' });
  const hls = writeHls(format);
  assert.deepEqual(readHls(hls), []);
  const keys = readMediaPlaylist(hls.media[0]!.text).keys;
  assert.deepEqual(keys.map((k) => k.keyFormat), ['com.microsoft.playready', `urn:uuid:${SYSTEM_IDS.widevine}`, 'com.apple.streamingkeydelivery']);
  assert.ok(keys.every((k) => k.method === 'SAMPLE-AES'));
  assert.equal(keys[2]!.uri, 'skd://key-server.example/asset-1');
  assert.equal(keys[2]!.keyId, undefined);
  // PlayReady signals the cbcs key as AESCBC (header 4.3).
  const pro = /base64,(.+)$/.exec(keys[0]!.uri!)![1]!;
  assert.equal(readPlayReadyObjectBase64(pro).header.kids[0]!.algId, 'AESCBC');
  // The MPD says cbcs, and has no FairPlay entry.
  const sets = readMpd(writeMpd(format)).periods[0]!.adaptationSets;
  assert.equal(sets[0]!.contentProtection[0]!.value, 'cbcs');
  assert.ok(!sets[0]!.contentProtection.some((c) => c.schemeIdUri.includes(SYSTEM_IDS.fairPlay)));
  assert.throws(
    () => signallingFor({ scheme: 'cenc', fairPlayUri: 'skd://x' }, { video: VIDEO }),
    (e: unknown) => e instanceof SmoothpubError && e.code === 'protect.bad-protection' && /--encryption-scheme cbcs/.test(e.message),
  );
  assert.throws(() => signallingFor({ scheme: 'cbcs', systems: ['fairPlay'] }, { video: VIDEO }), (e: unknown) => e instanceof SmoothpubError && e.code === 'protect.bad-protection');
});

test('checkHlsRules catches FairPlay with SAMPLE-AES-CTR, mixed METHODs, and session keys no media playlist uses', () => {
  const hls = writeHls(protectedPresentation({ scheme: 'cbcs', fairPlayUri: 'skd://a' }).format);
  const editMedia = (edit: (t: string) => string): HlsPlaylists => ({ master: hls.master, media: hls.media.map((m, i) => (i === 0 ? { key: m.key, text: edit(m.text) } : m)) });
  const fairPlayCtr = readHls(editMedia((t) => t.replace(/METHOD=SAMPLE-AES,URI="skd/, 'METHOD=SAMPLE-AES-CTR,URI="skd')));
  assert.ok(fairPlayCtr.some((p) => p.rule === 'key' && /FairPlay/.test(p.message)), JSON.stringify(fairPlayCtr));
  assert.ok(fairPlayCtr.some((p) => p.rule === 'key' && /differs from METHOD/.test(p.message)));
  const orphan = readHls({ master: hls.master.replace('skd://a', 'skd://b'), media: hls.media });
  assert.ok(orphan.some((p) => p.rule === 'key' && /matches no EXT-X-KEY/.test(p.message)), JSON.stringify(orphan));
});

test('Smooth: the ProtectionHeader (one PlayReady Object naming both KIDs, header 4.2) is written in the Manifest and read back', () => {
  const { smooth } = protectedPresentation({ scheme: 'cenc', playReadyLaUrl: 'https://pr.example/' });
  assert.equal(smooth.length, 1);
  assert.equal(smooth[0]!.systemId, SYSTEM_IDS.playReady);
  const manifest = writeManifest({ ...base.presentation, protection: smooth });
  assertNoSecrets(manifest, 'the Manifest');
  assert.match(manifest, /<Protection>\s*<ProtectionHeader SystemID="9a04f079-9840-4286-ab92-e65be0885f95">/);
  const back = readManifest(manifest);
  assert.deepEqual(back.protection, smooth);
  const header = readPlayReadyObjectBase64(back.protection![0]!.data).header;
  assert.equal(header.version, '4.2.0.0');
  assert.deepEqual(header.kids.map((k) => formatUuid(k.kid)), [formatUuid(VIDEO.kid), formatUuid(AUDIO.kid)]);
  assert.equal(header.laUrl, 'https://pr.example/');
});

test("a CPIX document's DRM system data is used: its pssh boxes, PlayReady Object, HLS lines and Smooth header", () => {
  const xml = readFileSync('test/fixtures/cpix/Cpix23Signalling.xml', 'utf8');
  const cpix = readCpix(xml, 'Cpix23Signalling.xml');
  const s = signallingFor({ scheme: 'cenc', cpix }, { video: VIDEO, audio: AUDIO });
  const video = s.format.tracks.video!;
  const cpixPlayReady = cpix.drmSystems.find((d) => d.systemId === SYSTEM_IDS.playReady && formatUuid(d.kid) === formatUuid(VIDEO.kid))!;
  assert.deepEqual(video.systems.find((x) => x.name === 'playReady')!.pssh, cpixPlayReady.pssh);
  assert.deepEqual(s.smooth, [{ systemId: SYSTEM_IDS.playReady, data: cpixPlayReady.smoothStreamingProtectionHeaderData }]);
  const hls = writeHls({ ...base, protection: s.format });
  assert.deepEqual(readHls(hls), []);
  const lines = hls.media.find((m) => m.key.startsWith('video'))!.text;
  assert.ok(lines.includes(cpixPlayReady.hlsSignalingData.find((h) => h.playlist === 'media')!.text));
  assertNoSecrets(writeMpd({ ...base, protection: s.format }) + hls.master + lines + JSON.stringify(s.smooth), 'documents from CPIX');
  // init pssh boxes per type: PlayReady, Widevine, Common.
  assert.equal(s.initPssh.video!.length, 3);
  // Its keys are for cenc: cbcs is refused rather than signalled for keys the server made for another scheme.
  assert.throws(() => signallingFor({ scheme: 'cbcs', cpix }, { video: VIDEO }), (e: unknown) => e instanceof SmoothpubError && e.code === 'protect.bad-protection' && /--encryption-scheme cenc/.test(e.message));
});
