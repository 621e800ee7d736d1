import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { loadPresentation } from '../../src/plan/loadPresentation.js';
import type { Plan } from '../../src/plan/plan.js';
import { packagePresentation } from '../../src/package/packagePresentation.js';
import { planFromFolder } from '../../src/plan/planFromFolder.js';
import { publishPlan, type PublishEvent } from '../../src/publish/publishPlan.js';
import { createFolderStore } from '../../src/stores/folderStore.js';
import { StoreError, type Store } from '../../src/stores/store.js';

const tmp = (): Promise<string> => mkdtemp(join(tmpdir(), 'smoothpub-pub-'));
const fast = { retries: 5, baseDelayMs: 1, maxDelayMs: 5 };

async function cleanPlan(): Promise<Plan> {
  return buildPlan(await loadPresentation(['test/fixtures/clean/clean.ism']));
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

/** A real folder store whose puts fail on a schedule, recording the order of successful puts. */
function flaky(inner: Store, failures: (key: string, attempt: number) => StoreError | undefined): Store & { order: string[] } {
  const attempts = new Map<string, number>();
  const order: string[] = [];
  return {
    ...inner,
    order,
    async put(key, body, options) {
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      const failure = failures(key, n);
      if (failure) throw failure;
      await inner.put(key, body, options);
      order.push(key);
    },
  };
}

const transient = (key: string, throttled = false): StoreError =>
  new StoreError(`503 on ${key}`, { status: 503, retryable: true, throttled, key, ...(throttled && { retryAfterMs: 3 }) });

test('publishing to a folder gives the same files as package, Manifest last', async () => {
  const dir = await tmp();
  const plan = await cleanPlan();
  const store = flaky(createFolderStore(join(dir, 'pub')), () => undefined);
  const summary = await publishPlan(plan, store, { concurrency: 4 });
  assert.equal(summary.uploaded, plan.objects.length);
  assert.equal(store.order[store.order.length - 1], 'Manifest');
  const packaged = await packagePresentation({ inputs: ['test/fixtures/clean/clean.ism'], outDir: join(dir, 'pkg') });
  const names = await files(packaged.outDir);
  assert.deepEqual(await files(join(dir, 'pub')), names);
  for (const n of names) assert.ok((await readFile(join(dir, 'pub', n))).equals(await readFile(join(packaged.outDir, n))), n);
});

test('a re-run uploads only what is missing or differs', async () => {
  const dir = await tmp();
  const plan = await cleanPlan();
  await publishPlan(plan, createFolderStore(dir));
  const again = await publishPlan(plan, createFolderStore(dir));
  assert.equal(again.uploaded, 0);
  assert.equal(again.skipped, plan.objects.length);
  const victim = plan.objects[3]!.key;
  await writeFile(join(dir, victim), 'damaged');
  const store = flaky(createFolderStore(dir), () => undefined);
  const repaired = await publishPlan(plan, store);
  assert.deepEqual(store.order, [victim]);
  assert.equal(repaired.uploaded, 1);
  const forced = await publishPlan(plan, createFolderStore(dir), { force: true });
  assert.equal(forced.uploaded, plan.objects.length);
});

test('transient failures and throttling are retried with backoff; all objects land', async () => {
  const dir = await tmp();
  const plan = await cleanPlan();
  const events: PublishEvent[] = [];
  const store = flaky(createFolderStore(dir), (key, attempt) => {
    const i = plan.objects.findIndex((o) => o.key === key);
    if (i % 3 === 0 && attempt <= 2) return transient(key, i === 3);
    return undefined;
  });
  const summary = await publishPlan(plan, store, { retry: fast, onEvent: (e) => events.push(e) });
  assert.equal(summary.uploaded, plan.objects.length);
  const expectedRetries = plan.objects.filter((_, i) => i % 3 === 0).length * 2;
  assert.equal(summary.retries, expectedRetries);
  assert.equal(events.filter((e) => e.type === 'retry').length, expectedRetries);
  assert.ok(events.some((e) => e.type === 'retry' && e.throttled && e.delayMs === 3), 'Retry-After honoured');
  assert.equal(store.order[store.order.length - 1], 'Manifest');
  assert.equal((await files(dir)).length, plan.objects.length);
});

test('a fragment that keeps failing stops the run before the Manifest', async () => {
  const dir = await tmp();
  const plan = await cleanPlan();
  const bad = plan.objects[5]!.key;
  const store = flaky(createFolderStore(dir), (key) => (key === bad ? transient(key) : undefined));
  await assert.rejects(publishPlan(plan, store, { retry: fast }), (e: unknown) => e instanceof StoreError && e.details.key === bad);
  assert.ok(!existsSync(join(dir, 'Manifest')));
  const denied = flaky(createFolderStore(dir), (key) => (key === bad ? new StoreError('403', { status: 403, retryable: false, throttled: false, key }) : undefined));
  await assert.rejects(publishPlan(plan, denied, { retry: fast }), (e: unknown) => e instanceof StoreError && e.code === 'store.auth');
  assert.ok(!existsSync(join(dir, 'Manifest')));
});

test('an aborted run stops without the Manifest; dry run writes nothing', async () => {
  const dir = await tmp();
  const plan = await cleanPlan();
  const controller = new AbortController();
  let puts = 0;
  const inner = createFolderStore(dir);
  const store: Store = {
    ...inner,
    async put(key, body, options) {
      if (++puts === 4) controller.abort();
      await inner.put(key, body, options);
    },
  };
  await assert.rejects(publishPlan(plan, store, { concurrency: 2, signal: controller.signal }), (e: unknown) => e instanceof Error && e.name === 'AbortError');
  assert.ok(!existsSync(join(dir, 'Manifest')));
  const dry = await tmp();
  const summary = await publishPlan(plan, createFolderStore(join(dry, 'x')), { dryRun: true });
  assert.equal(summary.dryRun, true);
  assert.equal(summary.uploaded, plan.objects.length);
  assert.deepEqual(await readdir(dry), []);
});

test('a packaged folder keeps its own policy files when published with --policy', async () => {
  const dir = await tmp();
  const packaged = await packagePresentation({ inputs: ['test/fixtures/clean/v120.ismv'], outDir: join(dir, 'v.ism'), policy: true });
  const custom = '<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="example.com"/></cross-domain-policy>';
  await writeFile(join(packaged.outDir, 'crossdomain.xml'), custom);
  const plan = await planFromFolder(packaged.outDir, { policy: true });
  await publishPlan(plan, createFolderStore(join(dir, 'pub')));
  assert.equal(await readFile(join(dir, 'pub', 'crossdomain.xml'), 'utf8'), custom);
  assert.match(await readFile(join(dir, 'pub', 'clientaccesspolicy.xml'), 'utf8'), /<access-policy>/);
});

/** A folder store with a separate root folder, as Azure ($root) and S3 (the bucket) have. */
function withRoot(inner: Store, rootDir: string): Store & { rootPuts: string[] } {
  const root = createFolderStore(rootDir);
  const rootPuts: string[] = [];
  return {
    ...inner,
    rootPuts,
    async putAtRoot(key, body, options) {
      await root.put(key, body, options);
      rootPuts.push(key);
    },
    async headAtRoot(key) {
      for await (const o of root.list()) if (o.key === key) return o;
      return undefined;
    },
  };
}

test('policy files at the root: written when missing, skipped when the same, kept with a warning when the owner\'s differ, replaced with force', async () => {
  const dir = await tmp();
  const plan = await planFromFolder((await packagePresentation({ inputs: ['test/fixtures/clean/v120.ismv'], outDir: join(dir, 'v.ism'), policy: true })).outDir, { policy: true });
  const rootDir = join(dir, 'root');
  const first = withRoot(createFolderStore(join(dir, 'pub')), rootDir);
  const written = await publishPlan(plan, first);
  assert.deepEqual(first.rootPuts.sort(), ['clientaccesspolicy.xml', 'crossdomain.xml']);
  assert.equal(written.kept, 0);
  const ours = await readFile(join(rootDir, 'crossdomain.xml'), 'utf8');

  const owners = '<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="*.owner.example"/></cross-domain-policy>';
  await writeFile(join(rootDir, 'crossdomain.xml'), owners);
  const events: PublishEvent[] = [];
  const second = withRoot(createFolderStore(join(dir, 'pub')), rootDir);
  const kept = await publishPlan(plan, second, { onEvent: (e) => events.push(e) });
  assert.deepEqual(second.rootPuts, [], 'the same clientaccesspolicy.xml is skipped, the owner\'s crossdomain.xml kept');
  assert.equal(await readFile(join(rootDir, 'crossdomain.xml'), 'utf8'), owners);
  assert.deepEqual({ kept: kept.kept, skipped: kept.skipped, uploaded: kept.uploaded }, { kept: 1, skipped: plan.objects.length - 1, uploaded: 0 });
  const warnings = events.filter((e) => e.type === 'warning');
  assert.equal(warnings.length, 1);
  assert.match(JSON.stringify(warnings[0]), /"code":"publish.root-object-kept","key":"crossdomain.xml".*--force replaces it/);
  assert.ok(events.some((e) => e.type === 'object' && e.key === 'crossdomain.xml' && e.action === 'keep'));

  const forced = withRoot(createFolderStore(join(dir, 'pub')), rootDir);
  const replaced = await publishPlan(plan, forced, { force: true });
  assert.deepEqual(forced.rootPuts.sort(), ['clientaccesspolicy.xml', 'crossdomain.xml']);
  assert.equal(replaced.uploaded, plan.objects.length);
  assert.equal(await readFile(join(rootDir, 'crossdomain.xml'), 'utf8'), ours);
});
