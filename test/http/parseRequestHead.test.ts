// parseRequestHead: the plain shape parsed, everything else 'other', partial heads 'incomplete'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead, type PlainRequestHead } from '../../src/http/parseRequestHead.js';
import { mulberry32 } from '../harness/mulberry32.js';

function parse(text: string, maxHead = 8192): ReturnType<typeof parseRequestHead> {
  const buf = Buffer.from(text, 'latin1');
  return parseRequestHead(buf, 0, buf.length, maxHead);
}

function plain(text: string): PlainRequestHead {
  const r = parse(text);
  assert.ok(typeof r === 'object', `${JSON.stringify(text)}: ${String(r)}`);
  return r;
}

test('a plain GET and HEAD: method, target as sent, headers by lower-case name, trimmed', () => {
  const text = 'GET /a.ism/QualityLevels(1)/Fragments(video=0)?x=%20 HTTP/1.1\r\nHost: h:1\r\nIf-None-Match:  "e" \t\r\nRANGE: bytes=0-1\r\n\r\nGET /next';
  const r = plain(text);
  assert.equal(r.method, 'GET');
  assert.equal(r.target, '/a.ism/QualityLevels(1)/Fragments(video=0)?x=%20');
  assert.equal(r.http10, false);
  assert.equal(r.close, false);
  assert.deepEqual([...r.headers], [
    ['host', 'h:1'],
    ['if-none-match', '"e"'],
    ['range', 'bytes=0-1'],
  ]);
  assert.equal(text.slice(r.end), 'GET /next');
  assert.equal(plain('HEAD / HTTP/1.1\r\nhost: x\r\n\r\n').method, 'HEAD');
});

test('keep-alive: HTTP/1.1 unless Connection: close; HTTP/1.0 only with keep-alive', () => {
  assert.equal(plain('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').close, true);
  assert.equal(plain('GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, CLOSE\r\n\r\n').close, true);
  assert.equal(plain('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n').close, false);
  assert.equal(plain('GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n').close, false);
  assert.equal(plain('GET / HTTP/1.0\r\n\r\n').close, true);
  assert.equal(plain('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').close, false);
  assert.equal(plain('GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n').close, true);
});

test('what is not plain is "other": methods, bodies, negotiation, Host, duplicates, odd bytes and line ends', () => {
  const others = [
    'POST / HTTP/1.1\r\nHost: x\r\n\r\n',
    'OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n',
    'get / HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET  / HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET / HTTP/2.0\r\nHost: x\r\n\r\n',
    'GET / HTTP/1.1 \r\nHost: x\r\n\r\n',
    'GET /\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n',
    'GET / HTTP/1.1\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nRange: a\r\nrange: b\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc',
    'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n',
    'GET / HTTP/1.1\r\nHost : x\r\n\r\n',
    'GET / HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n',
    'GET / HTTP/1.1\r\nHost x\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\x00\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: \u00ff\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\ny: z\r\n\r\n',
    'GET / HTTP/1.1\nHost: x\n\n',
    `GET / HTTP/1.1\r\nHost: x\r\n${'A: b\r\n'.repeat(1).replace('A', 'a')}${Array.from({ length: 64 }, (_, i) => `h${i}: v\r\n`).join('')}\r\n`,
  ];
  for (const text of others) assert.equal(parse(text), 'other', JSON.stringify(text));
});

test('a partial head is "incomplete" while it may still become plain, "other" as soon as it cannot', () => {
  const whole = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n';
  for (let n = 0; n < whole.length; n++) assert.equal(parse(whole.slice(0, n)), 'incomplete', JSON.stringify(whole.slice(0, n)));
  const head = 'HEAD /a HTTP/1.0\r\n\r\n';
  for (let n = 0; n < head.length; n++) assert.equal(parse(head.slice(0, n)), 'incomplete', JSON.stringify(head.slice(0, n)));
  for (const text of ['P', 'GE ', 'GET a', 'HEAD x', 'GET /\x01', 'GET / HTTP/1.1\n', 'GET / HTTP/1.1\r\nHost: x\rz']) assert.equal(parse(text), 'other', JSON.stringify(text));
  // Longer than the bound: whole or not, it is for the complete parser.
  const long = `GET /${'a'.repeat(100)} HTTP/1.1\r\nHost: x\r\n\r\n`;
  assert.equal(parse(long, 64), 'other');
  assert.equal(parse(long.slice(0, 70), 64), 'other');
  assert.equal(typeof parse(long, long.length), 'object');
});

test('random bytes and mutations of a plain head: always one of the three answers, a plain one consistent', () => {
  const r = mulberry32(0x5eed_4ead);
  const base = 'GET /v.ism/QualityLevels(100)/Fragments(video=0) HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-9\r\n\r\n';
  const alphabet = ['\r', '\n', ' ', '\t', ':', '\x00', '\x7f', '\xff', 'a', 'A', '/', ',', 'GET', 'HEAD', 'HTTP/1.0', 'Host: y\r\n', '\r\n\r\n'];
  for (let i = 0; i < 20_000; i++) {
    let text = base;
    const edits = 1 + Math.floor(r() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * (text.length + 1));
      const what = r();
      if (what < 0.4) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 3));
      else if (what < 0.8) text = text.slice(0, at) + alphabet[Math.floor(r() * alphabet.length)]! + text.slice(at);
      else text = text.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + text.slice(at + 1);
    }
    const buf = Buffer.from(text, 'latin1');
    const got = parseRequestHead(buf, 0, buf.length, 8192);
    if (typeof got !== 'object') {
      assert.ok(got === 'incomplete' || got === 'other');
      continue;
    }
    // A plain answer describes exactly the bytes it took.
    const head = text.slice(0, got.end);
    assert.ok(head.endsWith('\r\n\r\n') && !head.slice(0, -4).includes('\r\n\r\n'), JSON.stringify(text));
    assert.ok(head.startsWith(`${got.method} ${got.target} HTTP/1.`), JSON.stringify(text));
    assert.ok(!/[^\t\r\n\x20-\x7e]/.test(head), JSON.stringify(text));
    assert.equal(got.http10 || got.headers.has('host'), true);
  }
});
