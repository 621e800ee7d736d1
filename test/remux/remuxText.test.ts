// remux of text streams: a subtitle file (converted to TTML fragments) and an ISMV/.ismt TTML
// track (passed through) become an IIS-style `.ismt` named by a `<textstream>`; read back, the
// presentation is the same, its Smooth text fragments byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { remuxPresentation } from '../../src/remux/remuxPresentation.js';
import { loadPresentation, type LoadOptions } from '../../src/plan/loadPresentation.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { writePresentationManifest } from '../../src/plan/buildPresentation.js';
import { readIsm } from '../../src/smooth/ism.js';
import { readManifest } from '../../src/smooth/readManifest.js';
import { formatFragmentUrl } from '../../src/smooth/url.js';
import { readTtmlFragment } from '../../src/text/readTtmlSample.js';
import { readSubtitles } from '../../src/text/readSubtitles.js';
import { mergeCues } from '../../src/text/mergeCues.js';
import type { Cue } from '../../src/text/model.js';
import { requireTools } from '../e2e/helpers.js';
import { runBin } from '../cli/runBin.js';

const FIX = resolve('test/fixtures');
const clean = ['v400', 'v250', 'v120'].map((l) => `${FIX}/clean/${l}.ismv`).concat(`${FIX}/clean/audio.isma`);
const captions = `${FIX}/text/captions.en.vtt`;

async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(relative(dir, join(e.parentPath, e.name)), await readFile(join(e.parentPath, e.name)));
  }
  return out;
}

const CASES: { name: string; inputs: string[]; options: LoadOptions; label: string }[] = [
  { name: 'converted', inputs: [`${FIX}/clean/clean.ism`], options: { texts: [{ file: captions, language: 'eng', subtype: 'CAPT' }] }, label: 'a subtitle file' },
  { name: 'passed', inputs: [...clean, `${FIX}/textpass/text_en.ismt`], options: {}, label: 'an .ismt TTML track' },
];

for (const c of CASES) {
  test(`remux ${c.label}: an .ismt named by a <textstream>; package of the output gives the same objects, text fragments byte for byte`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'smoothpub-remux-text-'));
    const result = await remuxPresentation({ inputs: c.inputs, ...c.options, output: join(dir, 'out', `${c.name}.ism`) });
    const ism = readIsm(await readFile(result.ism, 'utf8'), result.ism);
    const text = ism.entries.filter((e) => e.kind === 'text');
    assert.equal(text.length, 1, 'one <textstream>');
    assert.match(text[0]!.src, /_textstream_eng_\d+\.ismt$/);
    assert.equal(text[0]!.trackName, 'textstream_eng');
    assert.equal(text[0]!.language, 'eng');
    assert.deepEqual(ism.entries.map((e) => e.src), result.files);

    const original = await loadPresentation(c.inputs, c.options);
    const remuxed = await loadPresentation([result.ism]);
    assert.equal(writePresentationManifest(remuxed), writePresentationManifest(original), 'the same client Manifest');
    for (const s of remuxed.sources) assert.equal(s.method, 'mfra', s.file);
    const ismt = remuxed.sources.find((s) => s.file.endsWith('.ismt'))!;
    assert.deepEqual(ismt.tracks.map((x) => [x.kind, x.codec]), [['text', 'stpp']]);

    // Every object of every format: Smooth's text fragments are the bytes written into the
    // .ismt; DASH's and HLS's are made again from the cues read back from them.
    const formats = ['smooth', 'dash', 'hls'] as const;
    const a = await packagePresentation({ inputs: c.inputs, ...c.options, outDir: join(dir, 'a'), formats: [...formats] });
    const b = await packagePresentation({ inputs: [result.ism], outDir: join(dir, 'b'), formats: [...formats] });
    const ta = await readTree(a.outDir);
    const tb = await readTree(b.outDir);
    assert.deepEqual([...tb.keys()].sort(), [...ta.keys()].sort());
    for (const [key, bytes] of ta) assert.ok(bytes.equals(tb.get(key)!), `${key} differs`);

    // The text fragments hold the cues of the file (the .ismt fixture is the same file cut).
    const manifest = readManifest(await readFile(join(b.outDir, 'Manifest'), 'utf8'));
    const stream = manifest.streams.find((s) => s.type === 'text')!;
    assert.equal(stream.subtype, c.options.texts?.[0]?.subtype ?? 'SUBT');
    const cues: Cue[] = [];
    for (const chunk of stream.chunks) {
      const body = tb.get(formatFragmentUrl(stream.url, stream.qualityLevels[0]!.bitrate, chunk.t))!;
      assert.ok(body, `fragment ${chunk.t}`);
      cues.push(...readTtmlFragment(body, 'remuxed', { timescale: 10_000_000, timeBase: 'fragment', timeFrom: 'tfxd' }));
    }
    const shape = (list: readonly Cue[]): unknown[] => mergeCues(list).map((x) => ({ start: x.start, end: x.end, runs: x.runs }));
    assert.deepEqual(shape(cues), shape(readSubtitles(await readFile(captions), captions).filter((x) => x.start < 8000)));

    // inspect lists the text stream of the remuxed presentation.
    const inspect = await runBin(['inspect', result.ism]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /text 'textstream_eng' \(eng\): 4 chunks/);

    // ffmpeg reads the video and audio files as before, and the .ismt as an stpp track.
    if (!requireTools(t, 'ffprobe', 'ffmpeg')) return;
    for (const [i, file] of result.files.entries()) {
      const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,codec_tag_string', '-of', 'json', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '', `${file}: ${r.stderr}`);
      const probe = JSON.parse(r.stdout) as { streams: { codec_type: string; codec_name?: string; codec_tag_string: string }[] };
      const kind = ism.entries[i]!.kind;
      assert.equal(probe.streams.length, 1);
      if (kind === 'text') {
        assert.deepEqual([probe.streams[0]!.codec_type, probe.streams[0]!.codec_tag_string], ['data', 'stpp']);
        continue;
      }
      assert.deepEqual([probe.streams[0]!.codec_type, probe.streams[0]!.codec_name], [kind, kind === 'video' ? 'h264' : 'aac']);
      const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
      assert.equal(decode.status, 0, decode.stderr);
      assert.equal(decode.stderr, '', `${file}: ${decode.stderr}`);
    }
  });
}
