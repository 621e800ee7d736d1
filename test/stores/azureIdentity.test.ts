// @azure/identity is an optional peer dependency, loaded only for Entra ID sign-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAzureStore } from '../../src/stores/azureStore.js';
import { loadAzureIdentity, type AzureIdentity } from '../../src/stores/loadAzureIdentity.js';
import { SmoothpubError } from '../../src/errors.js';
import { catchStoreError } from './storeHelpers.js';

/** An importer of `@azure/identity` as seen from a module in `dir` (Node resolves it from there). */
async function importerIn(dir: string): Promise<() => Promise<AzureIdentity>> {
  const probe = join(dir, 'probe.mjs');
  await writeFile(probe, "export default () => import('@azure/identity');\n");
  const mod = (await import(pathToFileURL(probe).href)) as { default: () => Promise<AzureIdentity> };
  return mod.default;
}

test('without @azure/identity installed, Entra ID sign-in is store.identity-missing saying what to install', async (t) => {
  // A folder with no node_modules above it: Node's own "Cannot find package" error.
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-noidentity-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const e = await loadAzureIdentity('myaccount', await importerIn(dir)).then(
    () => assert.fail('loaded @azure/identity from a folder without it'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof SmoothpubError, String(e));
  assert.equal(e.code, 'store.identity-missing');
  assert.match(e.message, /myaccount/);
  assert.match(e.message, /@azure\/identity, which is not installed/);
  assert.match(e.message, /npm install -g @azure\/identity/);
  assert.match(e.message, /AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING/);
});

test('an @azure/identity that cannot load (a dependency missing) is the same typed error, with the cause', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'smoothpub-badidentity-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pkg = join(dir, 'node_modules', '@azure', 'identity');
  await mkdir(pkg, { recursive: true });
  await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: '@azure/identity', type: 'module', exports: './index.js' }));
  await writeFile(join(pkg, 'index.js'), "export * from '@azure/msal-node-not-installed';\n");
  const e = await loadAzureIdentity('myaccount', await importerIn(dir)).then(
    () => assert.fail('loaded a broken @azure/identity'),
    (err: unknown) => err,
  );
  assert.ok(e instanceof SmoothpubError, String(e));
  assert.equal(e.code, 'store.identity-missing');
  assert.match(e.message, /could not be loaded \(Cannot find package '@azure\/msal-node-not-installed'/);
});

test('AZURE_STORAGE_ACCOUNT alone signs in with DefaultAzureCredential when @azure/identity is installed', async (t) => {
  // Only EnvironmentCredential in the chain, with none of its variables: it fails at once and
  // the same way on any machine (no az login, no managed identity endpoint probed).
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('AZURE_')) Reflect.deleteProperty(process.env, k);
  process.env.AZURE_TOKEN_CREDENTIALS = 'EnvironmentCredential';
  t.after(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) Reflect.deleteProperty(process.env, k);
    Object.assign(process.env, saved);
  });
  // Nothing listens on port 1: the token is asked for before any connection is made.
  const store = await createAzureStore({ container: 'media', prefix: '', endpoint: 'https://127.0.0.1:1/myaccount', env: { AZURE_STORAGE_ACCOUNT: 'myaccount' } });
  assert.equal(store.description, 'az://media (account myaccount)');
  const e = await catchStoreError(store.prepare());
  assert.equal(e.code, 'store.auth');
  assert.match(e.message, /ChainedTokenCredential authentication failed/); // DefaultAzureCredential is a chain
});
