// A presentation with text streams (a subtitle file converted, an .ismt track passed through)
// remuxed to IIS-style files: GStreamer decodes every remuxed .ismv/.isma as before (qtdemux),
// and plays the Smooth output packaged from the remuxed .ism to the end (mssdemux leaves the
// text streams out, as it does for any presentation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { remuxPresentation } from '../../src/remux/remuxPresentation.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { startStaticServer } from '../../src/play/staticServer.js';
import { fixtureSets, fixtures, gstResult, playWithGstreamer, requireTools, run } from './helpers.js';

test('GStreamer decodes the video and audio of a remuxed presentation with text streams, and plays its Smooth output to the end', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, 'gst-launch-1.0')) return;
  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-e2e-remuxtext-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const remuxed = await remuxPresentation({
    inputs: [...fixtureSets.clean.inputs, join(fixtures, 'textpass', 'text_en.ismt')],
    texts: [{ file: join(fixtures, 'text', 'subtitles.fr.srt'), language: 'fra' }],
    output: join(tmp, 'r', 'video.ism'),
  });
  assert.equal(remuxed.files.filter((f) => f.endsWith('.ismt')).length, 2, 'two .ismt files');
  for (const file of remuxed.files.filter((f) => !f.endsWith('.ismt'))) {
    const video = file.endsWith('.ismv');
    const chain = video ? ['h264parse', '!', 'avdec_h264', '!', 'checksumsink'] : ['aacparse', '!', 'avdec_aac', '!', 'fakesink'];
    const r = gstResult(await run('gst-launch-1.0', ['filesrc', `location=${file}`, '!', 'qtdemux', '!', ...chain], 60));
    assert.equal(r.code, 0, `${file}: ${r.stderr.slice(-600)}`);
    assert.ok(r.eos, `${file}: decoded to the end`);
    if (video) assert.equal(r.frames, 192, `${file}: every frame (8 s at 24 fps)`);
  }
  const dir = join(tmp, 'out', 'video.ism');
  await packagePresentation({ inputs: [remuxed.ism], outDir: dir });
  const server = await startStaticServer({ root: dir, host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const played = await playWithGstreamer({ playbin: 'playbin', uri: `${server.url}video.ism/Manifest` });
  assert.equal(played.code, 0, played.stderr.slice(-600));
  assert.ok(played.eos, 'played to the end');
  assert.equal(played.frames, 192, 'every frame');
});
