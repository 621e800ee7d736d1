import { createRequire } from 'node:module';

const loaded = new Map<string, unknown>();

/**
 * One of the optional N-API addons built by `node-gyp rebuild` at install (binding.gyp,
 * native/), or null when it is missing, failed to build, or `SMOOTHPUB_NO_NATIVE=1`
 * turns the addons off (then the portable paths run).
 */
export function loadAddon<T>(name: string): T | null {
  if (process.env['SMOOTHPUB_NO_NATIVE'] === '1') return null;
  if (!loaded.has(name)) {
    try {
      // This file runs as dist/src/util/loadAddon.js; the addons are at the package root.
      loaded.set(name, createRequire(import.meta.url)(`../../../build/Release/${name}.node`));
    } catch {
      loaded.set(name, null);
    }
  }
  return loaded.get(name) as T | null;
}
