// `npm run build:worker`: bundles the example Cloudflare Worker (examples/cloudflare-worker)
// with esbuild for workerd: one ES module, `smoothpub/edge` taken from this checkout. The
// build targets no platform (esbuild's `neutral`), so an import of a node module anywhere
// on the origin's path fails it; test/edge/bundle.test.ts holds it to that.
//
//   node dist/scripts/build-worker.js [--out FILE] [--minify]
import { build, type Metafile, type Plugin } from 'esbuild';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPackageRoot } from '../src/play/packageRoot.js';

const root = findPackageRoot(fileURLToPath(new URL('.', import.meta.url)));
export const WORKER_ENTRY = join(root, 'examples', 'cloudflare-worker', 'src', 'worker.ts');
export const WORKER_OUT = join(root, 'examples', 'cloudflare-worker', 'dist', 'worker.js');

export interface BuiltWorker {
  outfile: string;
  bytes: number;
  /** Every input the bundle holds (paths relative to the repository, `node:` modules as named). */
  inputs: string[];
  metafile: Metafile;
}

/** `smoothpub/edge` resolved to this checkout's source (a user's project resolves it from node_modules). */
const thisCheckout: Plugin = {
  name: 'smoothpub-edge-from-checkout',
  setup(b) {
    b.onResolve({ filter: /^smoothpub\/edge$/ }, () => ({ path: join(root, 'src', 'edge', 'index.ts') }));
  },
};

export async function buildWorker(opts: { entry?: string; outfile?: string; minify?: boolean } = {}): Promise<BuiltWorker> {
  const outfile = opts.outfile ?? WORKER_OUT;
  const result = await build({
    entryPoints: [opts.entry ?? WORKER_ENTRY],
    outfile,
    bundle: true,
    format: 'esm',
    // No platform: node's built-in modules do not resolve, so none can slip in.
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    minify: opts.minify ?? false,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: root,
    plugins: [thisCheckout],
  });
  return { outfile, bytes: (await stat(outfile)).size, inputs: Object.keys(result.metafile.inputs), metafile: result.metafile };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const out = args.indexOf('--out');
  const built = await buildWorker({ ...(out >= 0 && args[out + 1] !== undefined && { outfile: args[out + 1] }), minify: args.includes('--minify') });
  console.log(`${built.outfile}: ${built.bytes} bytes from ${built.inputs.length} modules`);
}
