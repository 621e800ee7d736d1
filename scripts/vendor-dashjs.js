#!/usr/bin/env node
// Copies the two dash.js browser bundles the player page loads (and dash.js's licence) from
// the `dashjs` dev dependency into web/vendor/dashjs/, which `files` ships in the package.
// dashjs is 126 MB installed (every build flavour, source maps, ESM and legacy copies); the
// page needs 860 KB of it. Runs in `npm run build`, hence in `prepare` (`npm ci`, `npm pack`),
// so a checkout and the packed tarball serve the same files, with no CDN.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'web', 'vendor', 'dashjs');
const require = createRequire(join(root, 'package.json'));

function resolve(specifier) {
  try {
    return require.resolve(specifier);
  } catch {
    console.error(`vendor-dashjs: cannot resolve ${specifier}: run \`npm ci\` (dashjs is a dev dependency of smoothpub)`);
    process.exit(1);
  }
}

// dashjs's `require` export condition names the UMD builds (dist/modern/umd/), the ones a
// <script> tag can load; `dashjs/mss` is its Smooth Streaming bundle.
const all = resolve('dashjs');
const mss = resolve('dashjs/mss');
let pkgDir = dirname(all);
while (!existsSync(join(pkgDir, 'package.json')) || JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).name !== 'dashjs') {
  const up = dirname(pkgDir);
  if (up === pkgDir) throw new Error(`no dashjs package.json above ${all}`);
  pkgDir = up;
}
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));

const files = [
  [all, 'dash.all.min.js'],
  [`${all}.LICENSE.txt`, 'dash.all.min.js.LICENSE.txt'], // notices of the libraries bundled into it
  [mss, 'dash.mss.min.js'],
  [join(pkgDir, 'LICENSE.md'), 'LICENSE.md'],
];
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const [from, name] of files) {
  if (!existsSync(from)) {
    console.error(`vendor-dashjs: ${from} is missing from dashjs ${pkg.version}`);
    process.exit(1);
  }
  copyFileSync(from, join(out, name));
}
writeFileSync(
  join(out, 'README.md'),
  `# dash.js ${pkg.version}\n\n` +
    `Copied unchanged from the npm package \`dashjs@${pkg.version}\` (${pkg.license}, see LICENSE.md) by\n` +
    'scripts/vendor-dashjs.js: `dist/modern/umd/dash.all.min.js` (with the notices of the libraries\n' +
    'bundled into it, dash.all.min.js.LICENSE.txt) and `dist/modern/umd/dash.mss.min.js`.\n' +
    'The player page (web/index.html) loads them from `/dash/`.\n',
);
console.log(`vendor-dashjs: dash.js ${pkg.version} -> ${out}`);
