// The address a player fetches a stored object at (verify --all without --base-url). No request is made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAzureStore } from '../../src/stores/azureStore.js';
import { createS3Store } from '../../src/stores/s3Store.js';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../harness/azurite.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
// The AWS SDK's notice about node 20 is noise here, as in the CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

test('S3: path-style under an endpoint, virtual-hosted on AWS; each key segment percent-encoded', async () => {
  const pathStyle = await createS3Store({ bucket: 'media', prefix: 'films', endpoint: 'http://127.0.0.1:9000/', credentials });
  assert.equal(pathStyle.urlOf?.('a b.ism/Manifest'), 'http://127.0.0.1:9000/media/films/a%20b.ism/Manifest');
  const aws = await createS3Store({ bucket: 'media', prefix: '', region: 'eu-west-1', credentials });
  assert.equal(aws.urlOf?.('x.ism/QualityLevels(1)/Fragments(video=0)'), 'https://media.s3.eu-west-1.amazonaws.com/x.ism/QualityLevels(1)/Fragments(video%3D0)');
  const hosted = await createS3Store({ bucket: 'media', prefix: 'p', endpoint: 'https://storage.example', forcePathStyle: false, credentials });
  assert.equal(hosted.urlOf?.('Manifest'), 'https://media.storage.example/p/Manifest');
  await Promise.all([pathStyle, aws, hosted].map((s) => s.close?.()));
});

test('Azure: the blob URL under the account endpoint, with the SAS the store was opened with', async () => {
  const keyed = await createAzureStore({ container: 'media', prefix: 'films', endpoint: `http://127.0.0.1:10000/${AZURITE_ACCOUNT}`, env: { AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT, AZURE_STORAGE_KEY: AZURITE_KEY } });
  assert.equal(keyed.urlOf?.('a b.ism/Manifest'), `http://127.0.0.1:10000/${AZURITE_ACCOUNT}/media/films/a%20b.ism/Manifest`);
  const sas = await createAzureStore({ container: 'media', prefix: '', env: { AZURE_STORAGE_ACCOUNT: 'acct', AZURE_STORAGE_SAS_TOKEN: '?sv=2024&sig=abc' } });
  assert.equal(sas.urlOf?.('x.ism/Manifest'), 'https://acct.blob.core.windows.net/media/x.ism/Manifest?sv=2024&sig=abc');
  await Promise.all([keyed, sas].map((s) => s.close?.()));
});
