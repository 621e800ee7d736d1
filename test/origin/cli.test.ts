// `smoothpub index` and `smoothpub serve`, run in-process through their commander commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerIndex } from '../../src/cli/commands/indexCommand.js';
import { registerServe } from '../../src/cli/commands/serve.js';
import { makeRoot } from './helpers.js';
import { parseEvents, resultOf } from '../cli/jsonEvents.js';

/** Runs `fn` with process.stdout.write captured; `onLine` sees each line as it comes. */
async function capture(fn: () => Promise<unknown>, onLine: (line: string) => void = () => undefined): Promise<string> {
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    const text = typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    out += text;
    for (const line of text.split('\n')) if (line !== '') onLine(line);
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('index writes a sidecar beside every source an input names', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const program = new Command().exitOverride();
  registerIndex(program, new AbortController().signal);
  const out = await capture(() => program.parseAsync(['node', 'smoothpub', 'index', join(r.root, 'clean', 'clean.ism'), join(r.root, 'multi', 'multitrack.ism'), '--json']));
  const events = parseEvents(out);
  assert.deepEqual(events.map((e) => e.event), ['start', 'object', 'object', 'object', 'object', 'object', 'result']);
  const lines = events.filter((e) => e.event === 'object') as unknown as { source: string; sidecar: string; fragments: number }[];
  assert.equal(resultOf<{ sidecars: number }>(out).sidecars, 5);
  for (const l of lines) {
    assert.ok(existsSync(l.sidecar), l.sidecar);
    assert.equal(l.sidecar, `${l.source}.smoothidx`);
    assert.ok(l.fragments > 0);
  }
});

test('serve prints its URL, serves the root and stops on abort', async (t) => {
  const r = await makeRoot();
  t.after(() => r.cleanup());
  const controller = new AbortController();
  const program = new Command().exitOverride();
  registerServe(program, controller.signal);
  let checked: Promise<void> | undefined;
  await capture(
    () => program.parseAsync(['node', 'smoothpub', 'serve', r.root, '--port', '0', '--json']),
    (line) => {
      const e = JSON.parse(line) as { event: string; url: string };
      if (e.event !== 'listening') return;
      const { url } = e;
      checked = (async () => {
        try {
          const res = await fetch(`${url}users/users.ism/Manifest`);
          assert.equal(res.status, 200);
          assert.match(await res.text(), /<SmoothStreamingMedia/);
        } finally {
          controller.abort();
        }
      })();
    },
  );
  assert.ok(checked, 'printed a URL');
  await checked;
});
