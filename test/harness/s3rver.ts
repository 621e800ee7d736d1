import { createRequire } from 'node:module';
import { startEmulator } from './emulator.js';
import { encodeKey } from './azurite.js';

export interface S3rver {
  /** e.g. `http://127.0.0.1:PORT`; use path-style addressing. */
  endpoint: string;
  port: number;
  /** s3rver's data folder (removed by stop). */
  dir: string;
  region: string;
  /** s3rver's default credentials (it checks signatures for this key pair). */
  accessKeyId: string;
  secretAccessKey: string;
  /** Environment for the AWS SDK's default credential chain. */
  env: NodeJS.ProcessEnv;
  /** Path-style URL of an object; the key's segments are percent-encoded. */
  objectUrl(bucket: string, key: string): string;
  stop(): Promise<void>;
}

/** Starts s3rver on a free port in a temp dir. */
export async function startS3rver(): Promise<S3rver> {
  const script = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  // s3rver signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (node >= 17) only
  // has in its legacy provider: without it every truncated listing (> 1000 keys) answers 500.
  const emulator = await startEmulator('s3rver', script, (dir, port) => ['-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent'], '/', ['--openssl-legacy-provider']);
  const endpoint = `http://127.0.0.1:${emulator.port}`;
  const accessKeyId = 'S3RVER';
  const secretAccessKey = 'S3RVER';
  return {
    endpoint,
    port: emulator.port,
    dir: emulator.dir,
    region: 'us-east-1',
    accessKeyId,
    secretAccessKey,
    env: { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_REGION: 'us-east-1' },
    objectUrl: (bucket, key) => `${endpoint}/${bucket}/${encodeKey(key)}`,
    stop: () => emulator.stop(),
  };
}
