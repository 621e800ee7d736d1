import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The binaries the npm package `shaka-packager` ships, by platform and architecture. */
const BINARIES: Record<string, Record<string, string>> = {
  linux: { x64: 'packager-linux-x64', arm64: 'packager-linux-arm64' },
  darwin: { x64: 'packager-osx-x64', arm64: 'packager-osx-arm64' },
  win32: { x64: 'packager-win-x64.exe' },
};

/**
 * Shaka Packager's binary from the `shaka-packager` dev dependency, run directly: the
 * package's own `index.js` wrapper exits 0 whatever the binary returns, so a failed run
 * would be timed as a fast one.
 */
export function shakaPackagerBinary(): string {
  const dir = dirname(createRequire(import.meta.url).resolve('shaka-packager/package.json'));
  const name = BINARIES[process.platform]?.[process.arch];
  if (name === undefined) throw new Error(`shaka-packager ships no binary for ${process.platform}/${process.arch}`);
  const bin = join(dir, 'bin', name);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: reinstall the dev dependencies (npm ci)`);
  return bin;
}
