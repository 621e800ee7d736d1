import { createOrigin as createOriginOver, type Origin, type OriginOptions } from './createOrigin.js';
import { createLocalRoot } from './localRoot.js';
import type { OriginRoot } from './originRoot.js';
import type { PresentationProtection } from '../plan/protectionSettings.js';
import { nodeProtection } from './nodeProtection.js';

export interface NodeOriginOptions extends Omit<OriginOptions, 'root' | 'protection'> {
  /** Encrypt every fragment with these keys and signal them (serve --key). */
  protection?: PresentationProtection;
  /**
   * Folder whose `*.ism` files and `*.ism/` folders are served (nothing outside it is
   * read), or a root made by openOriginRoot (`az://`, `s3://`, `https://`).
   */
  root: string | OriginRoot;
  /** Write a sidecar index beside each local source the origin had to index; default false. */
  writeSidecars?: boolean;
  /** Local source files kept open between requests; default 256. */
  maxOpenFiles?: number;
}

/**
 * createOrigin as the node entry (`smoothpub`) offers it: a folder path is served as a
 * local root. The handler itself (createOrigin.ts) uses no node API: `smoothpub/edge`
 * exports it for roots such as an R2 bucket.
 */
export function createOrigin(opts: NodeOriginOptions): Origin {
  const { root, writeSidecars, maxOpenFiles, protection, ...rest } = opts;
  const originRoot =
    typeof root === 'string'
      ? createLocalRoot(root, { ...(maxOpenFiles !== undefined && { maxOpenFiles }), ...(writeSidecars !== undefined && { writeSidecars }) })
      : root;
  return createOriginOver({ ...rest, root: originRoot, ...(protection && { protection: nodeProtection(protection) }) });
}
