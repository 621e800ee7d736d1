import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDestination } from '../../src/stores/parseDestination.js';
import { SmoothpubError } from '../../src/errors.js';

function refused(dest: string, message: RegExp): void {
  assert.throws(
    () => parseDestination(dest),
    (e: unknown) => e instanceof SmoothpubError && e.code === 'publish.bad-destination' && message.test(e.message),
    dest,
  );
}

test('az:// destinations give a container and a normalised prefix', () => {
  assert.deepEqual(parseDestination('az://media/videos/show.ism'), { kind: 'azure', container: 'media', prefix: 'videos/show.ism' });
  assert.deepEqual(parseDestination('az://media'), { kind: 'azure', container: 'media', prefix: '' });
  assert.deepEqual(parseDestination('az://media/'), { kind: 'azure', container: 'media', prefix: '' });
  assert.deepEqual(parseDestination('az://media//a///b/'), { kind: 'azure', container: 'media', prefix: 'a/b' });
  assert.deepEqual(parseDestination('AZ://my-media-2/x'), { kind: 'azure', container: 'my-media-2', prefix: 'x' });
  assert.deepEqual(parseDestination('az://$web/site'), { kind: 'azure', container: '$web', prefix: 'site' });
  assert.deepEqual(parseDestination('az://abc/QualityLevels(1)'), { kind: 'azure', container: 'abc', prefix: 'QualityLevels(1)' });
});

test('s3:// destinations give a bucket and a normalised prefix', () => {
  assert.deepEqual(parseDestination('s3://my.bucket-1/a/b/'), { kind: 's3', bucket: 'my.bucket-1', prefix: 'a/b' });
  assert.deepEqual(parseDestination('s3://abc'), { kind: 's3', bucket: 'abc', prefix: '' });
});

test('anything else is a folder', () => {
  assert.deepEqual(parseDestination('out/video'), { kind: 'folder', path: 'out/video' });
  assert.deepEqual(parseDestination('/tmp/a b'), { kind: 'folder', path: '/tmp/a b' });
  assert.deepEqual(parseDestination('./az:/x'), { kind: 'folder', path: './az:/x' });
  assert.deepEqual(parseDestination('C:\\media'), { kind: 'folder', path: 'C:\\media' });
});

test('bad container names are refused with the rule they break', () => {
  refused('az://', /container name is missing/);
  refused('az:///prefix', /container name is missing/);
  refused('az://ab', /"ab" has 2 characters, expected 3 to 63/);
  refused(`az://${'a'.repeat(64)}`, /64 characters/);
  refused('az://Media', /only lowercase letters, digits and hyphens/);
  refused('az://me_dia', /only lowercase/);
  refused('az://-media', /start and end with a letter or digit/);
  refused('az://media-', /start and end/);
  refused('az://me--dia', /consecutive hyphens/);
  refused('az://my.media', /only lowercase letters, digits and hyphens/);
});

test('bad bucket names are refused with the rule they break', () => {
  refused('s3://', /bucket name is missing/);
  refused('s3://ab', /expected 3 to 63/);
  refused('s3://My-Bucket', /only lowercase letters, digits, dots and hyphens/);
  refused('s3://.bucket', /start and end/);
  refused('s3://bucket-', /start and end/);
  refused('s3://a..b', /two adjacent dots/);
  refused('s3://192.168.1.1', /IP address/);
  refused('s3://xn--bucket', /reserves/);
  refused('s3://bucket-s3alias', /reserves/);
});

test('prefixes with dot segments, queries or unknown schemes are refused', () => {
  refused('az://media/a/../b', /must not contain "\.\." segments/);
  refused('s3://bucket/..', /"\.\."/);
  refused('s3://bucket/./x', /"\."/);
  refused('az://media/a?sv=1', /"\?" or "#"/);
  refused('https://example.com/x', /unknown scheme https:\/\//);
  refused('gs://bucket/x', /expected az:\/\/<container>\/<prefix>, s3:\/\/<bucket>\/<prefix> or a folder path/);
});
