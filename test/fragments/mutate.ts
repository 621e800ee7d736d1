// Seeded mutations of fixture files for the corruption fuzz: byte flips, size fields
// (the ones that matter most: 0, 1 with a largesize, smaller than the header, huge), types,
// other 32-bit fields, inserted and deleted bytes, truncation.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RawBox, setU32, setU64, walkBoxes } from './rawBoxes.js';
import { mulberry32 } from '../harness/mulberry32.js';

export { mulberry32 };


export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  u32(): number {
    return Math.floor(this.next() * 0x1_0000_0000);
  }
  pick<T>(xs: readonly T[]): T {
    const x = xs[this.int(xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  }
}

export interface Subject {
  name: string;
  bytes: Uint8Array;
  boxes: RawBox[];
  /** Boxes whose bytes are parsed (everything but mdat). */
  parsed: RawBox[];
}

const TYPES = ['mdat', 'moof', 'moov', 'mfra', 'mfro', 'tfra', 'traf', 'trun', 'tfhd', 'uuid', 'free', 'ftyp', 'stsd', 'avcC', 'esds', '\0\0\0\0', '\xff\xff\xff\xff'];

type Mutation = (b: Uint8Array, s: Subject, r: Rng) => { bytes: Uint8Array; what: string };

/** A position that is parsed by the indexer half of the time, anywhere the other half. */
function interestingPosition(b: Uint8Array, s: Subject, r: Rng): number {
  if (r.next() < 0.5 || s.parsed.length === 0) return r.int(b.length);
  const box = r.pick(s.parsed);
  return Math.min(b.length - 1, box.start + r.int(Math.max(1, box.end - box.start)));
}

function boundary(b: Uint8Array, s: Subject, r: Rng): number {
  if (r.next() < 0.3) return r.int(b.length + 1);
  const box = r.pick(s.boxes);
  return Math.min(b.length, r.pick([box.start, box.start + box.headerSize, box.end]));
}

const MUTATIONS: Record<string, Mutation> = {
  flip(b, s, r) {
    const n = 1 + r.int(8);
    const at: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = interestingPosition(b, s, r);
      b[p] = r.next() < 0.5 ? (b[p] ?? 0) ^ (1 << r.int(8)) : r.int(256);
      at.push(p);
    }
    return { bytes: b, what: `flip bytes at ${at.join(',')}` };
  },
  size(b, s, r) {
    const box = r.pick(s.boxes);
    const size = box.end - box.start;
    const v = r.pick([0, 1, 1, 1, 2, 4, 7, 8, box.headerSize - 1, size - 1, size + 1, size - 8, size + 8, size * 2, 0xffffffff, 0xfffffff8, 0x7fffffff, 0x80000000, r.u32(), b.length - box.start, b.length - box.start + 1, b.length]);
    setU32(b, box.start, v);
    let what = `size of ${box.path}@${box.start} (${size}) := ${v >>> 0}`;
    if (v === 1 && r.next() < 0.7) {
      const big = r.pick([0n, 1n, 8n, 15n, 16n, BigInt(size), BigInt(size + 8), BigInt(b.length - box.start), BigInt(b.length) * 1000n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(r.u32()) * 0x10000n]);
      setU64(b, box.start + 8, big);
      what += `, largesize ${big}`;
    }
    return { bytes: b, what };
  },
  largesize(b, s, r) {
    // Rewrite a top-level box with a legal 64-bit header: the file grows by 8 bytes, so
    // every later offset (mfra, trun data offsets of later fragments) is now stale.
    const top = s.boxes.filter((x) => !x.path.includes('/') && x.type !== 'uuid');
    const box = r.pick(top);
    if (box.end > b.length) return { bytes: b, what: `(${box.path} no longer fits: largesize skipped)` };
    const size = box.end - box.start + 8;
    const out = new Uint8Array(b.length + 8);
    out.set(b.subarray(0, box.start));
    setU32(out, box.start, 1);
    out.set(b.subarray(box.start + 4, box.start + 8), box.start + 4);
    setU64(out, box.start + 8, BigInt(size));
    out.set(b.subarray(box.start + 8), box.start + 16);
    return { bytes: out, what: `${box.path}@${box.start} rewritten with a 64-bit size ${size}` };
  },
  field(b, s, r) {
    const p = interestingPosition(b, s, r) & ~3;
    const v = r.pick([0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x00ffffff, b.length, r.u32(), r.u32() & 0xffff]);
    setU32(b, p, v);
    return { bytes: b, what: `u32 at ${p} := ${v >>> 0}` };
  },
  type(b, s, r) {
    const box = r.pick(s.boxes);
    const t = r.next() < 0.8 ? r.pick(TYPES) : String.fromCharCode(r.int(256), r.int(256), r.int(256), r.int(256));
    for (let i = 0; i < 4; i++) b[box.start + 4 + i] = t.charCodeAt(i);
    return { bytes: b, what: `type of ${box.path}@${box.start} := ${JSON.stringify(t)}` };
  },
  insert(b, s, r) {
    const at = boundary(b, s, r);
    const n = 1 + r.int(16);
    const fill = Uint8Array.from({ length: n }, () => (r.next() < 0.5 ? 0 : r.int(256)));
    const out = new Uint8Array(b.length + n);
    out.set(b.subarray(0, at));
    out.set(fill, at);
    out.set(b.subarray(at), at + n);
    return { bytes: out, what: `insert ${n} bytes at ${at}` };
  },
  delete(b, s, r) {
    const at = boundary(b, s, r);
    const n = Math.min(1 + r.int(16), b.length - at);
    const out = new Uint8Array(b.length - n);
    out.set(b.subarray(0, at));
    out.set(b.subarray(at + n), at);
    return { bytes: out, what: `delete ${n} bytes at ${at}` };
  },
  truncate(b, s, r) {
    const at = r.next() < 0.5 ? boundary(b, s, r) : r.int(b.length + 1);
    return { bytes: b.slice(0, at), what: `truncate to ${at}` };
  },
};

/** Weights: size fields matter most. */
const MUTATION_NAMES = ['size', 'size', 'size', 'size', 'largesize', 'flip', 'flip', 'field', 'field', 'type', 'insert', 'delete', 'truncate'];

export function mutate(s: Subject, r: Rng): { bytes: Uint8Array; what: string } {
  let bytes: Uint8Array = s.bytes.slice();
  const steps: string[] = [];
  const n = r.next() < 0.7 ? 1 : r.next() < 0.67 ? 2 : 3;
  for (let i = 0; i < n; i++) {
    const name = r.pick(MUTATION_NAMES);
    const m = MUTATIONS[name]!(bytes, s, r);
    bytes = m.bytes;
    steps.push(m.what);
  }
  return { bytes, what: steps.join('; ') };
}

export async function loadSubjects(dir: string, names: string[]): Promise<Subject[]> {
  return Promise.all(
    names.map(async (name) => {
      const bytes = new Uint8Array(await readFile(join(dir, name)));
      const boxes = walkBoxes(bytes);
      return { name, bytes, boxes, parsed: boxes.filter((b) => b.type !== 'mdat') };
    }),
  );
}
