import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPresentations } from '../../src/plan/findPresentations.js';

test('.ism files and *.ism/ folders of media, at any depth, sorted by path; other files ignored', () => {
  const found = findPresentations([
    'films/b/video.ism',
    'films/b/video_400.ismv',
    'films/b/video_64.isma',
    'films/a.ism/v2.mp4',
    'films/a.ism/v1.ismv',
    'films/a.ism/audio.M4A',
    'films/a.ism/notes.txt',
    'films/a.ism/deeper/v9.ismv',
    'loose/v400.ismv',
    'top.ISM',
    'empty.ism/readme.txt',
    'media.ism/v400.ismv.smoothidx',
  ]);
  assert.deepEqual(found, [
    { path: 'films/a.ism', kind: 'folder', inputs: ['films/a.ism/audio.M4A', 'films/a.ism/v1.ismv', 'films/a.ism/v2.mp4'] },
    { path: 'films/b/video.ism', kind: 'ism', inputs: ['films/b/video.ism'] },
    { path: 'top.ISM', kind: 'ism', inputs: ['top.ISM'] },
  ]);
});

test('a .ism object and a *.ism/ folder of the same name are one presentation: the .ism, as the origin decides', () => {
  assert.deepEqual(findPresentations(['a.ism', 'a.ism/v.ismv']), [{ path: 'a.ism', kind: 'ism', inputs: ['a.ism'] }]);
});

test('packaged folders (a Manifest inside) only when asked; nothing inside them is looked at', () => {
  const keys = ['out/video.ism/Manifest', 'out/video.ism/QualityLevels(1)/Fragments(video=0)', 'out/video.ism/old.ism', 'out/video.ism/sub.ism/v.ismv', 'src/x.ism'];
  assert.deepEqual(findPresentations(keys, { packaged: true }), [
    { path: 'out/video.ism', kind: 'packaged', inputs: ['out/video.ism'] },
    { path: 'src/x.ism', kind: 'ism', inputs: ['src/x.ism'] },
  ]);
  // In a store a Manifest is published output, not a source: without `packaged` it marks nothing.
  assert.deepEqual(
    findPresentations(keys).map((p) => p.path),
    ['out/video.ism/old.ism', 'out/video.ism/sub.ism', 'src/x.ism'],
  );
  // The root itself packaged: the presentation is the library's root.
  assert.deepEqual(findPresentations(['Manifest', 'QualityLevels(1)/Fragments(video=0)'], { packaged: true }), [{ path: '', kind: 'packaged', inputs: [''] }]);
});
