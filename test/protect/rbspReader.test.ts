// RbspReader reads several bits at once (bits) and counts Exp-Golomb zeros a byte at a time
// (ue): checked against the syntax read one bit at a time on random NAL units with emulation
// prevention bytes, values, errors and `consumed` (the clear bytes) alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NalSyntaxError, RbspReader } from '../../src/protect/rbspReader.js';
import { mulberry32 } from '../harness/mulberry32.js';

/** The same reader a bit at a time, as ITU-T H.264 7.2 reads it: the reference. */
class BitByBit {
  pos: number;
  private cur = 0;
  private left = 0;
  private zeros = 0;
  constructor(private readonly data: Uint8Array, start: number) {
    this.pos = start;
  }
  bit(): number {
    if (this.left === 0) {
      if (this.pos >= this.data.length) throw new NalSyntaxError('end');
      let b = this.data[this.pos++]!;
      if (b === 3 && this.zeros >= 2) {
        if (this.pos >= this.data.length) throw new NalSyntaxError('end');
        b = this.data[this.pos++]!;
        this.zeros = 0;
      }
      this.zeros = b === 0 ? this.zeros + 1 : 0;
      this.cur = b;
      this.left = 8;
    }
    this.left--;
    return (this.cur >> this.left) & 1;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) if (++zeros > 31) throw new NalSyntaxError('long');
    return 2 ** zeros - 1 + this.bits(zeros);
  }
}

test('bits and ue read what a bit at a time reads, through emulation prevention bytes, to the same consumed byte and the same errors', () => {
  const random = mulberry32(14);
  let compared = 0;
  let failures = 0;
  for (let round = 0; round < 3000; round++) {
    // Sparse bytes (many zeros: long Exp-Golomb prefixes, 00 00 03 sequences) and plain ones.
    const length = 1 + Math.floor(random() * 24);
    const data = Uint8Array.from({ length }, () => (random() < 0.5 ? [0, 0, 3, 1][Math.floor(random() * 4)]! : Math.floor(random() * 256)));
    const fast = new RbspReader(data, 1);
    const ref = new BitByBit(data, 1);
    for (let step = 0; step < 40; step++) {
      const op = random() < 0.5 ? 'ue' : 'bits';
      const n = Math.floor(random() * 20);
      let a: number | string;
      let b: number | string;
      try {
        a = op === 'ue' ? fast.ue() : fast.bits(n);
      } catch (e) {
        assert.ok(e instanceof NalSyntaxError);
        a = 'error';
      }
      try {
        b = op === 'ue' ? ref.ue() : ref.bits(n);
      } catch (e) {
        assert.ok(e instanceof NalSyntaxError);
        b = 'error';
      }
      assert.equal(a, b, `${op}(${n}) on ${Buffer.from(data).toString('hex')}`);
      compared++;
      if (a === 'error') {
        failures++;
        break;
      }
      assert.equal(fast.consumed, ref.pos, 'the same bytes consumed');
    }
  }
  assert.ok(failures > 100 && compared > 10000, `both values and errors compared (${compared}, ${failures} errors)`);
});
