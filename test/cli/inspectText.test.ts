// inspect's text lines: a TTML track of an .ismt is described as text, not as audio with unknown channels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBin as run } from './runBin.js';

test('inspect describes a TTML text track as text and lists its text stream with its Subtype', async () => {
  const r = await run(['inspect', 'test/fixtures/textpass/text_en.ismt']);
  assert.equal(r.code, 0, r.stderr);
  const track = r.stdout.split('\n').find((l) => l.includes('track 1'));
  assert.ok(track, r.stdout);
  assert.match(track, /track 1 {2}text {2}stpp {2}text {2}eng /);
  assert.doesNotMatch(track, /ch .* Hz/);
  assert.match(r.stdout, /text 'textstream_eng' \(eng\): 4 chunks/);
  assert.match(r.stdout, /TTML .* SUBT/);
});
