#!/usr/bin/env node
// Copies the browser bundles the player page loads, with their licences and notices, from
// dev dependencies into web/vendor/, which `files` ships in the package:
//   dashjs  -> web/vendor/dashjs/  (Smooth and DASH; served at /dash/)
//   hls.js  -> web/vendor/hlsjs/   (HLS; served at /hls/)
// dashjs is 126 MB installed (every build flavour, source maps, ESM and legacy copies) and
// hls.js 32 MB; the page needs 860 KB and 630 KB of them. Runs in `npm run build`, hence in
// `prepare` (`npm ci`, `npm pack`), so a checkout and the packed tarball serve the same
// files, with no CDN. The bundles are copied unchanged.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function fail(message) {
  console.error(`vendor-players: ${message}`);
  process.exit(1);
}

function resolve(specifier, pkgName) {
  try {
    return require.resolve(specifier);
  } catch {
    return fail(`cannot resolve ${specifier}: run \`npm ci\` (${pkgName} is a dev dependency of smoothpub)`);
  }
}

/** The folder and package.json of the installed package `name` (found above one of its files). */
function packageOf(name, file) {
  let dir = dirname(file);
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
    const up = dirname(dir);
    if (up === dir) fail(`no ${name} package.json above ${file}`);
    dir = up;
  }
  return { dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
}

/**
 * hls.js ships no notices file beside its minified bundle (dash.js does: webpack extracts
 * one). Its unminified build of the same version keeps the licence comments of the code it
 * bundles; two npm modules are bundled without one, recognised by their names in it.
 */
function hlsNotices(pkgDir, version) {
  const full = readFileSync(join(pkgDir, 'dist', 'hls.js'), 'utf8');
  const comments = (full.match(/\/\*[\s\S]*?\*\//g) ?? []).filter((c) => /copyright/i.test(c));
  if (comments.length === 0) fail(`no licence comments in hls.js ${version} dist/hls.js: check how it bundles its code`);
  const dedent = (c) => c.split('\n').map((l) => l.replace(/^\s{0,4}/, '')).join('\n');
  const parts = [
    `Notices of the code bundled into hls.min.js (hls.js ${version}, Apache-2.0: LICENSE).`,
    'The licence comments below are copied from dist/hls.js, the unminified build of the same version.',
    ...comments.map(dedent),
  ];
  if (full.includes('eventemitter3')) {
    parts.push(`eventemitter3 (https://github.com/primus/eventemitter3), bundled without its notice:

The MIT License (MIT)

Copyright (c) 2014 Arnout Kazemier

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.`);
  }
  if (full.includes('URLToolkit')) {
    parts.push('url-toolkit (https://github.com/tjenkinson/url-toolkit), bundled without its notice: Apache-2.0, the licence of LICENSE.');
  }
  return `${parts.join('\n\n')}\n`;
}

const players = [
  {
    name: 'dash.js',
    pkgName: 'dashjs',
    dir: 'dashjs',
    route: '/dash/',
    // dashjs's `require` export condition names the UMD builds (dist/modern/umd/), the ones
    // a <script> tag can load; `dashjs/mss` is its Smooth Streaming bundle.
    files: () => {
      const all = resolve('dashjs', 'dashjs');
      return {
        anchor: all,
        copies: [
          [all, 'dash.all.min.js'],
          [`${all}.LICENSE.txt`, 'dash.all.min.js.LICENSE.txt'], // notices of the libraries bundled into it
          [resolve('dashjs/mss', 'dashjs'), 'dash.mss.min.js'],
          ['LICENSE.md', 'LICENSE.md'],
        ],
      };
    },
    describe: () =>
      '`dist/modern/umd/dash.all.min.js` (with the notices of the libraries\n' +
      'bundled into it, dash.all.min.js.LICENSE.txt) and `dist/modern/umd/dash.mss.min.js`.',
  },
  {
    name: 'hls.js',
    pkgName: 'hls.js',
    dir: 'hlsjs',
    route: '/hls/',
    // The full UMD build: the light one leaves out alternate audio renditions (EXT-X-MEDIA),
    // which a presentation with several audio languages needs.
    files: () => {
      const min = resolve('hls.js/dist/hls.min.js', 'hls.js');
      return { anchor: min, copies: [[min, 'hls.min.js'], ['LICENSE', 'LICENSE']], notices: ['hls.min.js.NOTICES.txt', hlsNotices] };
    },
    describe: () =>
      '`dist/hls.min.js`. hls.min.js.NOTICES.txt holds the notices of the code bundled into it,\n' +
      'taken by the script from the licence comments of `dist/hls.js` (the same build, unminified).',
  },
];

for (const player of players) {
  const { anchor, copies, notices } = player.files();
  const { dir: pkgDir, pkg } = packageOf(player.pkgName, anchor);
  const out = join(root, 'web', 'vendor', player.dir);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const [from, name] of copies) {
    const source = isAbsolute(from) ? from : join(pkgDir, from); // else relative to the package
    if (!existsSync(source)) fail(`${source} is missing from ${player.pkgName} ${pkg.version}`);
    copyFileSync(source, join(out, name));
  }
  if (notices) writeFileSync(join(out, notices[0]), notices[1](pkgDir, pkg.version));
  writeFileSync(
    join(out, 'README.md'),
    `# ${player.name} ${pkg.version}\n\n` +
      `Copied unchanged from the npm package \`${player.pkgName}@${pkg.version}\` (${pkg.license}, see ${copies[copies.length - 1][1]}) by\n` +
      `scripts/vendor-players.js: ${player.describe()}\n` +
      `The player page (web/index.html) loads them from \`${player.route}\`.\n`,
  );
  console.log(`vendor-players: ${player.name} ${pkg.version} -> ${out}`);
}
