import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { indexFile } from '../../src/fragments/indexFile.js';
import { decodeSidecar, encodeSidecar } from '../../src/fragments/sidecarFormat.js';

test('a sidecar keeps the dac3/dec3 of AC-3/E-AC-3 tracks; one without them (written before) is not used', async () => {
  for (const [name, box] of [['eac3.isma', 'dec3'], ['ac3.mp4', 'dac3']] as const) {
    const index = await indexFile(resolve('test/fixtures/dolby', name));
    const track = index.tracks.find((t) => t.kind === 'audio')!;
    const config = track.sampleEntry[box];
    assert.ok(config, `${name}: the index has the ${box}`);
    assert.equal(track.channels, box === 'dec3' ? 6 : 2, `${name}: channels from the ${box}`);
    const expected = { file: index.file, size: index.size, mtimeMs: index.mtimeMs };
    const text = encodeSidecar(index);
    const back = decodeSidecar(text, expected);
    assert.ok(back, name);
    assert.deepEqual(back.tracks.find((t) => t.kind === 'audio')!.sampleEntry[box], config);
    // The same sidecar without the box: the source is indexed again rather than trusted.
    const without = JSON.parse(text) as { tracks: { sampleEntry: Record<string, unknown> }[] };
    for (const t of without.tracks) t.sampleEntry = Object.fromEntries(Object.entries(t.sampleEntry).filter(([k]) => k !== box));
    assert.equal(decodeSidecar(JSON.stringify(without), expected), undefined, `${name}: no ${box}, no sidecar`);
  }
});
