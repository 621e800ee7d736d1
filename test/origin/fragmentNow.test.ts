// Origin.fragmentNow: a repeat plain GET of a fragment answered from the remembered reply,
// never from a stale one (a source changed or replaced, a presentation dropped), never for
// a request whose answer depends on more than its target, and a bounded memory of targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createOrigin } from '../../src/origin/nodeOrigin.js';
import { createOriginServer } from '../../src/origin/nodeAdapter.js';
import type { FragmentNow, Origin } from '../../src/origin/createOrigin.js';
import { readFdAt } from '../../src/source/readAt.js';
import { readFragmentBody } from '../../src/fragments/fragmentParts.js';
import { makeRoot } from './helpers.js';
import type { AddressInfo } from 'node:net';
import { waitUntil } from '../harness/waitUntil.js';

const TARGET = '/clean/clean.ism/QualityLevels(400000)/Fragments(video=0)';

function request(target: string, headers: Record<string, string> = {}, method = 'GET'): { method: string; url: string; headers: { get(name: string): string | null } } {
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, url: `http://origin.invalid${target}`, headers: { get: (n) => h.get(n) ?? null } };
}

/** The body a reply would send, read whole. */
async function replyBody(origin: Origin, target: string): Promise<{ headers: Record<string, string>; body: Uint8Array }> {
  const reply = await origin.reply(request(target), target);
  assert.equal(reply.status, 200);
  const body = reply.body;
  assert.ok(body !== undefined && !(body instanceof Uint8Array));
  try {
    return { headers: reply.headers, body: await readFragmentBody(body.parts, (at, length) => readFdAt(body.src.fd!, body.src.size, at, length)) };
  } finally {
    await body.src.close();
  }
}

async function nowBody(now: FragmentNow): Promise<Uint8Array> {
  try {
    const run = await readFdAt(now.src.fd!, now.src.size, now.offset, now.size);
    return now.prefix === null ? run : new Uint8Array(Buffer.concat([now.prefix, run]));
  } finally {
    await now.src.close();
  }
}

for (const formats of [['smooth'], ['smooth', 'dash', 'hls']] as const) {
  test(`a fragment answered once is repeated from memory: the same headers and bytes (formats ${formats.join(',')})`, async (t) => {
    const r = await makeRoot();
    t.after(() => r.cleanup());
    const origin = createOrigin({ root: r.root, formats });
    t.after(() => origin.close());
    assert.equal(origin.fragmentNow!(TARGET), undefined, 'nothing remembered before a reply');
    const first = await replyBody(origin, TARGET);
    const now = origin.fragmentNow!(TARGET);
    assert.ok(now, 'remembered');
    // The fixture has no tfdt: with DASH or HLS answered the moof is rebuilt in memory.
    assert.equal(now.prefix !== null, formats.length > 1);
    assert.deepEqual(now.headers, first.headers);
    assert.equal(Number(now.headers['content-length']), now.size + (now.prefix?.length ?? 0));
    assert.deepEqual(await nowBody(now), first.body);
  });
}

test('only a plain GET of a fragment is remembered: not Range, preconditions, HEAD, documents, 404s, or a CORS list', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const origin = createOrigin({ root: r.root });
  t.after(() => origin.close());
  const first = await replyBody(origin, TARGET);
  const etag = first.headers['etag']!;
  const others = ['/clean/clean.ism/QualityLevels(250000)/Fragments(video=0)', '/clean/clean.ism/Manifest', '/clean/clean.ism/QualityLevels(400000)/Fragments(video=1)'];
  await origin.reply(request(others[0]!, { range: 'bytes=0-9' }), others[0]);
  await origin.reply(request(others[0]!, { 'if-none-match': etag }), others[0]);
  await origin.reply(request(others[0]!, {}, 'HEAD'), others[0]);
  await origin.reply(request(others[1]!), others[1]);
  await origin.reply(request(others[2]!), others[2]);
  for (const o of others) assert.equal(origin.fragmentNow!(o), undefined, o);
  const listed = createOrigin({ root: r.root, cors: 'https://a.example' });
  t.after(() => listed.close());
  await replyBody(listed, TARGET);
  assert.equal(listed.fragmentNow!(TARGET), undefined, 'the answer varies with Origin');
});

test('a remembered fragment is never served stale: a source rewritten, touched or replaced; a presentation dropped', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const origin = createOrigin({ root: r.root, maxCachedPresentations: 1 });
  t.after(() => origin.close());
  const v400 = join(r.root, 'clean', 'v400.ismv');
  const v120 = join(r.root, 'clean', 'v120.ismv');
  const original = await readFile(v400);

  await replyBody(origin, TARGET);
  await writeFile(v400, await readFile(v120));
  assert.equal(origin.fragmentNow!(TARGET), undefined, 'rewritten in place (size and mtime)');
  const after = await replyBody(origin, TARGET);
  const v120Body = await replyBody(origin, '/clean/clean.ism/QualityLevels(120000)/Fragments(video=0)');
  assert.deepEqual(after.body, v120Body.body, 'the new bytes, re-indexed');

  await writeFile(v400, original);
  await replyBody(origin, TARGET);
  assert.ok(origin.fragmentNow!(TARGET) !== undefined);
  await origin.fragmentNow!(TARGET)!.src.close();
  const later = new Date(Date.now() + 60_000);
  await utimes(v400, later, later);
  assert.equal(origin.fragmentNow!(TARGET), undefined, 'same size, another mtime');

  await replyBody(origin, TARGET);
  // Another presentation pushes this one out of the cache (maxCachedPresentations 1).
  await replyBody(origin, '/users/users.ism/QualityLevels(250000)/Fragments(video=0)').catch(() => undefined);
  await origin.reply(request('/multi/multitrack.ism/Manifest'));
  assert.equal(origin.fragmentNow!(TARGET), undefined, 'its presentation was dropped');

  // Replaced under its name (a new file renamed over it): the lookup of the path is due at once for a new handle.
  await replyBody(origin, TARGET);
  const replacement = join(r.root, 'clean', 'v400.new');
  await writeFile(replacement, await readFile(v120));
  await rename(replacement, v400);
  const served = createOriginServer(origin);
  await new Promise<void>((ok) => served.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => served.close(() => ok())));
  const url = `http://127.0.0.1:${(served.address() as AddressInfo).port}${TARGET}`;
  // Within a second the open handle may still be the old file (unchanged, so its old
  // fragment is whole and consistent); after that the path is looked up again.
  const body = await waitUntil('the replacement served', async () => {
    const got = new Uint8Array(await (await fetch(url, { headers: { connection: 'close' } })).arrayBuffer());
    assert.ok(Buffer.from(got).equals(Buffer.from(v120Body.body)) || Buffer.from(got).equals(original.subarray(0, 0)) || got.length > 0);
    return Buffer.from(got).equals(Buffer.from(v120Body.body)) ? got : undefined;
  });
  assert.deepEqual(body, v120Body.body, 'the replacement is served within the path lookup interval');
});

test('the memory of fragment targets is bounded: the oldest are forgotten', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const origin = createOrigin({ root: r.root });
  t.after(() => origin.close());
  // Each query string is its own target (the query is not part of the object's name).
  const targets = Array.from({ length: 5000 }, (_, i) => `${TARGET}?n=${i}`);
  for (const target of targets) {
    const reply = await origin.reply(request(target), target);
    if (reply.body !== undefined && !(reply.body instanceof Uint8Array)) await reply.body.src.close();
  }
  // A memo entry answers only while the path was looked up in the last second (5,000 replies
  // on a loaded machine can take longer): the newest is asked again first, then both ends
  // are checked at once.
  const newest = targets.at(-1)!;
  const again = await origin.reply(request(newest), newest);
  if (again.body !== undefined && !(again.body instanceof Uint8Array)) await again.body.src.close();
  const [oldestNow, newestNow] = [origin.fragmentNow!(targets[0]!), origin.fragmentNow!(newest)];
  void oldestNow?.src.close();
  void newestNow?.src.close();
  assert.ok(newestNow !== undefined, 'the newest is kept');
  assert.equal(oldestNow, undefined, 'the oldest is forgotten');
});
