// The live bench's encoders: one process replaying captured ffmpeg pushes at real time, many
// at once. A capture is the body ffmpeg POSTs for one quality level (`-c copy -movflags
// +isml+frag_keyframe -f ismv http://...`): ftyp, the live server manifest, moov, then
// moof+mdat pairs and an mfra. ffmpeg with `-re` sends the head at once and each fragment
// whole when it is complete, i.e. when its last sample's time has passed (measured: a 2 s GOP
// level's fragments leave 2 s apart, each in the same millisecond, in 32 KiB writes), so a
// fragment is written here at its end time (tfxd time + duration) after the push started,
// in 32 KiB writes. One ffmpeg per level costs about 1.7% of a core here (0.15 s of CPU for
// a 9 s push), 8 per event: 16 events would take all of this 2-core machine's CPU for
// the encoders alone.
//
//   node dist/bench/lib/livePusher.js <plan.json> <result.json>
//
// The plan names the ingest URL, the capture files (one per level) and the events with their
// start offsets; the result holds, per push and fragment, when its last byte was written to
// the socket (wall clock, ms), when the push ended, and this process's CPU seconds.
import { readFileSync, writeFileSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';

export interface PushPlan {
  /** `http://host:port` of ingest. */
  url: string;
  /** Stream id -> capture file. */
  levels: Record<string, string>;
  events: { name: string; startMs: number }[];
  /** Wall-clock ms at which start offsets count from. */
  t0: number;
}

export interface PushRecord {
  event: string;
  stream: string;
  /** Per fragment in push order: when its last byte was handed to the socket, when it was due, its duration (ms). */
  fragments: { sentAt: number; dueAt: number; durationMs: number; bytes: number }[];
  /** The request body ended (after the mfra). */
  endAt: number;
  status: number | undefined;
  error?: string;
}

export interface PushResult {
  pushes: PushRecord[];
  cpuSeconds: number;
  bytes: number;
}

/** A capture cut into what is sent together: the head, each moof+mdat pair (with its end time, ms after the push starts) and the tail. */
export interface Capture {
  head: Uint8Array;
  fragments: { bytes: Uint8Array; endMs: number; durationMs: number }[];
  tail: Uint8Array;
}

const TFXD = Buffer.from('6d1d9b0542d544e680e2141daff757b2', 'hex');
/** ffmpeg's ismv muxer writes every track at 10 MHz. */
const TIMESCALE = 10_000_000;

function boxes(b: Uint8Array, from: number, to: number): { type: string; start: number; end: number; payload: number }[] {
  const out: { type: string; start: number; end: number; payload: number }[] = [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = from;
  while (at + 8 <= to) {
    let size = v.getUint32(at);
    let header = 8;
    if (size === 1) {
      size = Number(v.getBigUint64(at + 8));
      header = 16;
    }
    if (size < header || at + size > to) throw new Error(`a capture box at ${at} runs past its end`);
    out.push({ type: String.fromCharCode(b[at + 4]!, b[at + 5]!, b[at + 6]!, b[at + 7]!), start: at, end: at + size, payload: at + header });
    at += size;
  }
  return out;
}

/** The fragment's tfxd time and duration (signed time: ffmpeg's AAC priming is negative). */
function tfxdOf(b: Uint8Array, moof: { payload: number; end: number }): { time: bigint; duration: bigint } {
  const traf = boxes(b, moof.payload, moof.end).find((x) => x.type === 'traf');
  if (traf === undefined) throw new Error('a captured moof has no traf');
  for (const box of boxes(b, traf.payload, traf.end)) {
    if (box.type !== 'uuid' || !Buffer.from(b.subarray(box.payload, box.payload + 16)).equals(TFXD)) continue;
    const v = new DataView(b.buffer, b.byteOffset + box.payload + 16);
    if (v.getUint8(0) === 1) return { time: v.getBigInt64(4), duration: v.getBigUint64(12) };
    return { time: BigInt(v.getInt32(4)), duration: BigInt(v.getUint32(8)) };
  }
  throw new Error('a captured fragment has no tfxd');
}

export function readCapture(path: string): Capture {
  const b = new Uint8Array(readFileSync(path));
  const top = boxes(b, 0, b.length);
  const firstMoof = top.findIndex((x) => x.type === 'moof');
  if (firstMoof < 0) throw new Error(`${path}: no fragment`);
  const fragments: Capture['fragments'] = [];
  let first: bigint | undefined;
  let i = firstMoof;
  for (; i + 1 < top.length && top[i]!.type === 'moof' && top[i + 1]!.type === 'mdat'; i += 2) {
    const { time, duration } = tfxdOf(b, top[i]!);
    first ??= time;
    fragments.push({ bytes: b.subarray(top[i]!.start, top[i + 1]!.end), endMs: (Number(time + duration - first) * 1000) / TIMESCALE, durationMs: (Number(duration) * 1000) / TIMESCALE });
  }
  return { head: b.subarray(0, top[firstMoof]!.start), fragments, tail: b.subarray(top[i]?.start ?? b.length) };
}

const WRITE_SIZE = 32 * 1024;

function now(): number {
  return performance.timeOrigin + performance.now();
}

function writeAll(req: ClientRequest, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; at += WRITE_SIZE) req.write(bytes.subarray(at, Math.min(bytes.length, at + WRITE_SIZE)));
}

interface Step {
  at: number;
  run: () => void;
}

async function main(): Promise<void> {
  const [planPath, resultPath] = process.argv.slice(2);
  const plan = JSON.parse(readFileSync(planPath!, 'utf8')) as PushPlan;
  const captures = new Map(Object.entries(plan.levels).map(([id, path]) => [id, readCapture(path)]));
  const url = new URL(plan.url);
  const steps: Step[] = [];
  const pushes: PushRecord[] = [];
  const finished: Promise<void>[] = [];
  let bytes = 0;
  for (const ev of plan.events) {
    for (const [stream, capture] of captures) {
      const start = plan.t0 + ev.startMs;
      const record: PushRecord = { event: ev.name, stream, fragments: [], endAt: NaN, status: undefined };
      pushes.push(record);
      let req: ClientRequest | undefined;
      finished.push(
        new Promise<void>((resolve) => {
          steps.push({
            at: start,
            run: () => {
              req = request({ host: url.hostname, port: url.port, method: 'POST', path: `/${ev.name}.isml/Streams(${stream})`, headers: { 'Transfer-Encoding': 'chunked', Connection: 'close' } }, (res) => {
                record.status = res.statusCode;
                res.resume();
                res.on('end', resolve);
              });
              req.on('error', (e) => {
                record.error = e.message;
                resolve();
              });
              writeAll(req, capture.head);
              bytes += capture.head.length;
            },
          });
        }),
      );
      for (const f of capture.fragments) {
        steps.push({
          at: start + f.endMs,
          run: () => {
            writeAll(req!, f.bytes);
            bytes += f.bytes.length;
            record.fragments.push({ sentAt: now(), dueAt: start + f.endMs, durationMs: f.durationMs, bytes: f.bytes.length });
          },
        });
      }
      const last = capture.fragments[capture.fragments.length - 1]!;
      steps.push({
        at: start + last.endMs,
        run: () => {
          req!.end(capture.tail);
          bytes += capture.tail.length;
          record.endAt = now();
        },
      });
    }
  }
  // Stable: a push's head, fragments and end keep their order when their times tie.
  steps.sort((a, b) => a.at - b.at);
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const t = now();
      while (next < steps.length && steps[next]!.at <= t) steps[next++]!.run();
      if (next === steps.length) return resolve();
      setTimeout(tick, Math.max(0, steps[next]!.at - now()));
    };
    tick();
  });
  await Promise.all(finished);
  const cpu = process.cpuUsage();
  const result: PushResult = { pushes, cpuSeconds: (cpu.user + cpu.system) / 1e6, bytes };
  writeFileSync(resultPath!, JSON.stringify(result));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
