/** Thrown by RbspReader when a NAL unit ends inside the syntax being read. */
export class NalSyntaxError extends Error {}

/**
 * Exp-Golomb bit reader over a NAL unit's payload (H.264/H.265 RBSP syntax), skipping
 * emulation prevention bytes (0x000003) as it goes. `consumed` counts the NAL unit's own
 * bytes, prevention bytes included, through the last one read from: what stays clear.
 */
export class RbspReader {
  private pos: number;
  private cur = 0;
  private left = 0;
  private zeros = 0;

  constructor(private readonly data: Uint8Array, start: number) {
    this.pos = start;
  }

  /** Bytes of `data` from its start through the byte holding the last bit read. */
  get consumed(): number {
    return this.pos;
  }

  bit(): number {
    if (this.left === 0) this.load();
    this.left--;
    return (this.cur >> this.left) & 1;
  }

  /** n bits (up to 53), as many at once as the current byte holds: a bit at a time costs a call each. */
  bits(n: number): number {
    let v = 0;
    while (n > 0) {
      if (this.left === 0) this.load();
      const take = n < this.left ? n : this.left;
      this.left -= take;
      v = v * (1 << take) + ((this.cur >> this.left) & ((1 << take) - 1));
      n -= take;
    }
    return v;
  }

  flag(): boolean {
    return this.bit() === 1;
  }

  /** ue(v). */
  ue(): number {
    // The leading zeros a byte at a time: the highest one bit left in the current byte ends them.
    let zeros = 0;
    for (;;) {
      if (this.left === 0) this.load();
      const rest = this.cur & ((1 << this.left) - 1);
      if (rest !== 0) {
        const one = 31 - Math.clz32(rest);
        zeros += this.left - 1 - one;
        this.left = one;
        break;
      }
      zeros += this.left;
      this.left = 0;
      if (zeros > 31) throw new NalSyntaxError('an Exp-Golomb code longer than 32 bits');
    }
    if (zeros > 31) throw new NalSyntaxError('an Exp-Golomb code longer than 32 bits');
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** se(v). */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }

  /** byte_alignment(): a one bit, then zero bits to the end of the byte. */
  byteAlign(): void {
    if (this.bit() !== 1) throw new NalSyntaxError('byte_alignment() does not start with a one bit');
    while (this.left > 0) this.bit();
  }

  private load(): void {
    if (this.pos >= this.data.length) throw new NalSyntaxError('the NAL unit ends inside its header syntax');
    let b = this.data[this.pos++]!;
    if (b === 3 && this.zeros >= 2) {
      // emulation_prevention_three_byte: not part of the RBSP.
      if (this.pos >= this.data.length) throw new NalSyntaxError('the NAL unit ends after an emulation prevention byte');
      b = this.data[this.pos++]!;
      this.zeros = 0;
    }
    this.zeros = b === 0 ? this.zeros + 1 : 0;
    this.cur = b;
    this.left = 8;
  }
}
