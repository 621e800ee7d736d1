// The serve-against-package check both kinds of text stream share: a .ism beside the clean
// ladder names the text (a subtitle file or an .ismt), the origin answers it and package
// writes it; every text object (Smooth, DASH, HLS) must be the same, and verify must pass.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import type { StreamIndex } from '../../src/smooth/model.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { textFragmentKey } from '../../src/formats/names.js';
import { verifyPresentation } from '../../src/verify/verifyPresentation.js';
import { get, makeRoot, startOrigin, type RunningOrigin } from '../origin/helpers.js';

/**
 * Copies `textFile` into a copy of the clean ladder, names it in `<name>.ism` by the
 * `textstream` element given (its `src` the file's name), and asserts that every text object
 * the origin answers is what package wrote and that verify finds nothing wrong. Returns the
 * served text stream, its bitrate and the running origin (closed with the test).
 */
export async function assertTextServedAsPackaged(t: TestContext, textFile: string, name: string, textstream: string): Promise<{ text: StreamIndex; bitrate: number; origin: RunningOrigin; path: string }> {
  const root = await makeRoot();
  t.after(() => root.cleanup());
  await copyFile(textFile, join(root.root, 'clean', basename(textFile)));
  const ism = `<?xml version="1.0" encoding="utf-8"?>
<smil xmlns="http://www.w3.org/2001/SMIL20/Language"><head/><body><switch>
  <video src="v400.ismv"/><video src="v250.ismv"/><video src="v120.ismv"/><audio src="audio.isma"/>
  ${textstream}
</switch></body></smil>`;
  await writeFile(join(root.root, 'clean', `${name}.ism`), ism);
  const origin = await startOrigin({ root: root.root, formats: ['smooth', 'dash', 'hls'] });
  t.after(() => origin.close());

  const tmp = await mkdtemp(join(tmpdir(), 'smoothpub-text-'));
  t.after(() => rm(tmp, { recursive: true, force: true }));
  const dir = join(tmp, 'video.ism');
  await packagePresentation({ inputs: [join(root.root, 'clean', `${name}.ism`)], outDir: dir, formats: ['smooth', 'dash', 'hls'] });

  const path = `/clean/${name}.ism/`;
  const served = await get(origin.handler, `${path}Manifest`);
  assert.equal(served.status, 200);
  const text = readManifest(new TextDecoder().decode(served.body)).streams.find((s) => s.type === 'text');
  assert.ok(text, 'a text stream');
  const bitrate = text.qualityLevels[0]!.bitrate;
  for (const c of text.chunks) {
    for (const key of [formatFragmentUrl(text.url, bitrate, c.t), textFragmentKey(text.name, bitrate, c.t, 'dash'), textFragmentKey(text.name, bitrate, c.t, 'hls')]) {
      const r = await get(origin.handler, `${path}${encodeURI(key)}`);
      assert.equal(r.status, 200, key);
      assert.deepEqual(r.body, new Uint8Array(await readFile(join(dir, key))), `${key}: as package wrote it`);
    }
  }
  const report = await verifyPresentation(`${origin.url}clean/${name}.ism/Manifest`, { formats: ['smooth', 'dash', 'hls'] });
  assert.deepEqual(report.problems, [], 'verify finds nothing wrong');
  assert.ok(report.ok);
  return { text, bitrate, origin, path };
}
