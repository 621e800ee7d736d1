import { createRequire } from 'node:module';
import { startEmulator } from './emulator.js';

/** Azurite's well-known development account (public, documented by Microsoft). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  /** Blob service URL including the account, e.g. `http://127.0.0.1:PORT/devstoreaccount1`. */
  endpoint: string;
  connectionString: string;
  accountName: string;
  accountKey: string;
  port: number;
  /** Azurite's data folder (removed by stop). */
  dir: string;
  /** Anonymous URL of a blob; the key's segments are percent-encoded. */
  blobUrl(container: string, key: string): string;
  /** Environment for `createAzureStore` with the account key. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** Starts Azurite's blob service on a free port in a temp dir (telemetry always off). */
export async function startAzurite(): Promise<Azurite> {
  const script = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  const emulator = await startEmulator(
    'azurite',
    script,
    (dir, port) => ['--silent', '--disableTelemetry', '--location', dir, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--loose', '--skipApiVersionCheck'],
    `/${AZURITE_ACCOUNT}?comp=list`,
  );
  const endpoint = `http://127.0.0.1:${emulator.port}/${AZURITE_ACCOUNT}`;
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${endpoint};`;
  return {
    endpoint,
    connectionString,
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    port: emulator.port,
    dir: emulator.dir,
    blobUrl: (container, key) => `${endpoint}/${container}/${encodeKey(key)}`,
    env: { AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_KEY: AZURITE_KEY },
    stop: () => emulator.stop(),
  };
}

export function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
