#!/usr/bin/env node
// Bundles the compiled CLI (dist/src/cli/main.js and the thread and process entries it
// starts) into dist/src/bundle/, which bin/smoothpub.js runs when it is current. Node 20
// loads ES modules one file at a time, about 1 ms each: `package` loads some 250 of them
// (0.15-0.35 s on this 2-core machine, against 0.4-0.5 s for all of `cp -r` of its output);
// the bundle's few files load in a fraction of that. Built from tsc's output, so the code is
// the same. fast-xml-parser (ES modules, some 40 files with its dependencies) is bundled
// too; the SDKs and the CommonJS packages stay outside it, imported from node_modules as
// before, and code loaded on use (other commands, the SDKs) stays in chunks of its own. `package`
// has a bundle of one file of its own (packageMain.js, which bin/smoothpub.js runs for it): the
// 20-odd chunks the whole CLI's bundle loads for it cost some 30 ms more. The entries keep
// their names in one folder, so `new URL('./folderWriterThread.js', import.meta.url)` and
// the addons' `../../../build/Release` resolve from a chunk as from dist/src/<folder>/.
// Runs in `npm run build` (hence `prepare`) and before the tests and benchmarks; without
// esbuild (a dev dependency) it says so and the CLI runs unbundled.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'src', 'bundle');
const entries = ['cli/main.js', 'cli/serveWorker.js'].map((e) => join(root, 'dist', 'src', e));
// One file each, no chunks: `package` alone (packageMain.js; bin/smoothpub.js runs it for that
// command) and the writer thread it starts.
const single = ['cli/packageMain.js', 'package/folderWriterThread.js'].map((e) => join(root, 'dist', 'src', e));

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('bundle-cli: esbuild is not installed; the CLI runs from dist/src unbundled');
  process.exit(0);
}
rmSync(out, { recursive: true, force: true });
const options = {
  entryPoints: entries,
  outdir: out,
  entryNames: '[name]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS (commander, cli-progress) would need a `require` in an ES module; the SDKs are
  // large and loaded only by the commands that use them.
  external: ['@aws-sdk/*', '@azure/*', '@smithy/*', 'commander', 'cli-progress'],
  metafile: true,
  logLevel: 'warning',
  absWorkingDir: root,
};
const built = await esbuild.build(options);
// Without splitting, code loaded on use (`import()`) is in the file too, run when first
// imported, but an external package it imports is imported up front: the SDKs must not be
// reachable from `package`, or every run would load them.
// commander is CommonJS: bundled here (15 ms less to load than from node_modules) with a
// `require` for its node: modules, which esbuild's CommonJS wrapper calls.
const alone = await esbuild.build({
  ...options,
  entryPoints: single,
  splitting: false,
  external: options.external.filter((e) => e !== 'commander'),
  banner: { js: "import { createRequire as smoothpubCreateRequire } from 'node:module'; const require = smoothpubCreateRequire(import.meta.url);" },
});
const eager = Object.values(alone.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external && i.kind === 'import-statement' && /^@(aws-sdk|azure|smithy)\//.test(i.path)).map((i) => i.path));
if (eager.length > 0) {
  console.error(`bundle-cli: the package bundle would load ${[...new Set(eager)].join(', ')} on every run; keep the stores out of its imports`);
  rmSync(out, { recursive: true, force: true });
  process.exit(1);
}
// Only ES module packages may be bundled (a CommonJS one would fail at run time on its first
// require; commander, in the one-file bundles, has its `require`): a new dependency must be
// added to `external` above or be an ES module.
const inputs = { ...built.metafile.inputs, ...alone.metafile.inputs };
const commonJs = Object.keys(inputs).filter((f) => f.includes('node_modules/') && !f.includes('node_modules/commander/') && inputs[f].format === 'cjs');
if (commonJs.length > 0) {
  console.error(`bundle-cli: CommonJS modules bundled (add their package to external): ${commonJs.join(', ')}`);
  rmSync(out, { recursive: true, force: true });
  process.exit(1);
}
