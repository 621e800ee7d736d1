import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';

export { decodeRequestPath } from './decodeRequestPath.js';

/**
 * The real path of `relative` under `base`, or undefined when it does not exist or
 * resolves (through symlinks) outside `base`.
 */
export async function resolveInside(base: string, relative: string): Promise<string | undefined> {
  try {
    const realBase = await realpath(base);
    const real = await realpath(join(realBase, relative));
    return real === realBase || real.startsWith(realBase + sep) ? real : undefined;
  } catch {
    return undefined;
  }
}
