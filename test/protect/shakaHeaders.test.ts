// The PlayReady Object and the PlayReady and Widevine pssh boxes smoothpub writes, compared
// byte for byte with an independent implementation: Shaka Packager's raw-key encryption of
// the same KID and key (its MPD carries them as mspr:pro and cenc:pssh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireShakaPackager } from '../harness/ci.js';
import { run } from '../e2e/helpers.js';
import { signallingFor } from '../../src/protect/signalling.js';
import { SYSTEM_IDS } from '../../src/protect/model.js';
import { keyTags } from '../../src/formats/hls/keyTags.js';
import { readMediaPlaylist } from '../../src/formats/hls/readPlaylists.js';

const KID_HEX = '0123456789abcdef0123456789abcdef';
const KEY_HEX = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

for (const scheme of ['cenc', 'cbcs'] as const) {
  test(`${scheme}: smoothpub's PlayReady Object and PlayReady/Widevine pssh boxes equal Shaka Packager's`, async (t) => {
    const packager = requireShakaPackager(t);
    if (packager === undefined) return;
    const dir = await mkdtemp(join(tmpdir(), 'smoothpub-shaka-pr-'));
    try {
      const r = await run(
        packager,
        [
          `in=test/fixtures/plain.mp4,stream=video,output=${join(dir, 'v.mp4')}`,
          '--enable_raw_key_encryption',
          '--protection_scheme',
          scheme,
          '--keys',
          `label=:key_id=${KID_HEX}:key=${KEY_HEX}`,
          '--protection_systems',
          'PlayReady,Widevine',
          '--mpd_output',
          join(dir, 'm.mpd'),
        ],
        60,
      );
      assert.equal(r.code, 0, r.stderr);
      const mpd = await readFile(join(dir, 'm.mpd'), 'utf8');
      const shakaPro = /<mspr:pro>([^<]+)<\/mspr:pro>/.exec(mpd)?.[1];
      const shakaPssh = [...mpd.matchAll(/schemeIdUri="urn:uuid:([0-9a-f-]+)"[^>]*>\s*<cenc:pssh>([^<]+)<\/cenc:pssh>/g)].map((m) => ({ systemId: m[1]!, pssh: m[2]! }));
      assert.ok(shakaPro !== undefined, 'Shaka Packager wrote an mspr:pro');

      const ours = signallingFor({ scheme, systems: ['playReady', 'widevine'] }, { video: { kid: Buffer.from(KID_HEX, 'hex'), key: Buffer.from(KEY_HEX, 'hex') } });
      const systems = ours.format.tracks.video!.systems;
      const playReady = systems.find((s) => s.systemId === SYSTEM_IDS.playReady)!;
      const widevine = systems.find((s) => s.systemId === SYSTEM_IDS.widevine)!;
      assert.equal(Buffer.from(playReady.pro!).toString('base64'), shakaPro);
      assert.deepEqual(
        shakaPssh.map((s) => s.systemId).sort(),
        [SYSTEM_IDS.playReady, SYSTEM_IDS.widevine].sort(),
      );
      assert.equal(Buffer.from(playReady.pssh!).toString('base64'), shakaPssh.find((s) => s.systemId === SYSTEM_IDS.playReady)!.pssh);
      assert.equal(Buffer.from(widevine.pssh!).toString('base64'), shakaPssh.find((s) => s.systemId === SYSTEM_IDS.widevine)!.pssh);
      // The Smooth ProtectionHeader of one key is the same PlayReady Object.
      assert.deepEqual(ours.smooth, [{ systemId: SYSTEM_IDS.playReady, data: shakaPro }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test("HLS cbcs: smoothpub's EXT-X-KEY tags for PlayReady, Widevine and FairPlay say what Shaka Packager's say", async (t) => {
  const packager = requireShakaPackager(t);
  if (packager === undefined) return;
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-shaka-hls-'));
  try {
    const r = await run(
      packager,
      [
        `in=test/fixtures/plain.mp4,stream=video,init_segment=${join(dir, 'init.mp4')},segment_template=${join(dir, '$Number$.m4s')},playlist_name=v.m3u8`,
        '--enable_raw_key_encryption',
        '--clear_lead',
        '0',
        '--protection_scheme',
        'cbcs',
        '--keys',
        `label=:key_id=${KID_HEX}:key=${KEY_HEX}`,
        '--protection_systems',
        'PlayReady,Widevine,FairPlay',
        '--hls_key_uri',
        'skd://asset-1',
        '--hls_master_playlist_output',
        join(dir, 'master.m3u8'),
        '--hls_playlist_type',
        'VOD',
      ],
      60,
    );
    assert.equal(r.code, 0, r.stderr);
    const theirs = readMediaPlaylist(await readFile(join(dir, 'v.m3u8'), 'utf8')).keys;
    const signalling = signallingFor({ scheme: 'cbcs', fairPlayUri: 'skd://asset-1', systems: ['playReady', 'widevine', 'fairPlay'] }, { video: { kid: Buffer.from(KID_HEX, 'hex'), key: Buffer.from(KEY_HEX, 'hex') } });
    const ours = readMediaPlaylist(['#EXTM3U', ...keyTags(signalling.format.tracks.video, 'EXT-X-KEY'), '#EXTINF:1,', 'a.m4s'].join('\n')).keys;
    // Shaka Packager adds the cbcs constant IV as IV=; smoothpub leaves it to the tenc box.
    const summary = (keys: typeof ours) => keys.map((k) => ({ method: k.method, uri: k.uri, keyFormat: k.keyFormat, keyFormatVersions: k.keyFormatVersions, keyId: k.keyId })).sort((a, b) => (a.keyFormat ?? '').localeCompare(b.keyFormat ?? ''));
    assert.deepEqual(summary(ours), summary(theirs));
    assert.equal(theirs.length, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
