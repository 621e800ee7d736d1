// The folders of src/ are layers (README, "Layers"): each may import only the folders listed
// for it here, so a production path never leans on the development player, the stores never
// on the media model, and importing the library never loads the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SHARED = ['errors.ts', 'version.ts', 'util'];
/** Folder (or top-level file) -> what it may import besides itself and SHARED. */
const ALLOWED: Record<string, string[]> = {
  util: [],
  bmff: [],
  // Common Encryption: boxes, ciphers, keys and DRM signalling, below everything that protects.
  protect: ['bmff'],
  // Text tracks: subtitle readers and writers, TTML/WebVTT fragments; pure, below everything that carries text.
  text: ['bmff'],
  source: [],
  http: [],
  stores: [],
  smooth: ['bmff', 'protect'],
  fragments: ['bmff', 'smooth', 'source', 'protect', 'text'],
  formats: ['bmff', 'smooth', 'fragments', 'protect', 'text'],
  plan: ['bmff', 'smooth', 'source', 'fragments', 'formats', 'protect', 'text'],
  package: ['bmff', 'smooth', 'source', 'fragments', 'plan', 'formats', 'protect', 'text'],
  publish: ['plan', 'stores', 'source', 'protect'],
  remux: ['bmff', 'smooth', 'source', 'fragments', 'plan', 'package', 'formats', 'protect', 'text'],
  inspect: ['bmff', 'smooth', 'fragments', 'plan', 'formats', 'protect', 'text'],
  verify: ['bmff', 'smooth', 'fragments', 'http', 'formats', 'stores', 'protect', 'text'],
  origin: ['bmff', 'smooth', 'source', 'fragments', 'plan', 'stores', 'http', 'formats', 'protect', 'text'],
  play: ['http'],
  // The origin on an edge runtime (Cloudflare Workers): roots over its bindings; no node module.
  edge: ['origin', 'stores', 'source', 'fragments', 'smooth', 'plan', 'formats', 'bmff', 'http', 'protect', 'text'],
  encode: ['smooth', 'package'],
  // Live ingest: encoders' pushes to fragments and Manifests in a store (publish's retries).
  live: ['bmff', 'smooth', 'fragments', 'formats', 'plan', 'stores', 'publish', 'remux', 'http', 'text', 'protect'],
  cli: ['bmff', 'smooth', 'source', 'fragments', 'plan', 'package', 'publish', 'remux', 'inspect', 'verify', 'origin', 'play', 'encode', 'stores', 'http', 'formats', 'protect', 'text', 'live'],
  'index.ts': ['bmff', 'smooth', 'source', 'fragments', 'plan', 'package', 'publish', 'remux', 'inspect', 'verify', 'origin', 'play', 'encode', 'stores', 'http', 'formats', 'protect', 'text', 'live'],
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The layer a path under src/ belongs to: its first folder, or the file itself at the top. */
function layerOf(path: string): string {
  return relative('src', path).split('/')[0]!;
}

test('every src/ folder imports only the layers below it', () => {
  const wrong: string[] = [];
  for (const file of walk('src')) {
    const from = layerOf(file);
    const allowed = ALLOWED[from];
    if (allowed === undefined && !SHARED.includes(from)) {
      wrong.push(`${file}: folder '${from}' has no place in the layer table`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      const to = layerOf(relative('.', resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))));
      if (to !== from && !SHARED.includes(to) && !(allowed ?? []).includes(to)) wrong.push(`${file} imports ${m[1]} (${from} -> ${to})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('importing the library loads neither the CLI nor its parser and progress bar', () => {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const lib = await import('./dist/src/index.js');
    const loaded = Object.keys(require.cache).filter((k) => /node_modules\\/(commander|cli-progress)\\//.test(k));
    console.log(JSON.stringify({ loaded, exports: Object.keys(lib).length, main: 'main' in lib }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { loaded: string[]; exports: number; main: boolean };
  assert.deepEqual(out.loaded, []);
  assert.equal(out.main, false);
  assert.ok(out.exports > 20, `the library exports its API (${out.exports} names)`);
  // The same check can fail: the CLI entry point does load them.
  const cli = spawnSync(process.execPath, ['--input-type=module', '-e', script.replace('./dist/src/index.js', './dist/src/cli/main.js')], { encoding: 'utf8' });
  assert.ok((JSON.parse(cli.stdout) as { loaded: string[] }).loaded.length > 0);
});
