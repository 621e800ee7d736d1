import { MAX_BOX_HEADER, readBoxHeader } from '../bmff/box.js';
import { Cursor } from '../bmff/cursor.js';
import { ErrorCode, SmoothpubError } from '../errors.js';
import { initKey } from '../formats/names.js';
import { fragmentParts, readFragmentBody, sliceParts, type FragmentPart } from '../fragments/fragmentParts.js';
import type { FragmentRef } from '../fragments/types.js';
import { withTfdt } from '../plan/insertTfdt.js';
import { readFragmentMoof } from '../plan/retimeSource.js';
import { type FragmentWhere, readFragmentSamples } from '../protect/fragmentSamples.js';
import { type NeededRange, SparseBytes, sparseVideoSubsamples } from '../protect/sparseSubsamples.js';
import type { VideoSubsamples } from '../protect/videoSubsamples.js';
import type { ByteSource } from '../source/source.js';
import { formatsOf, type ServedPresentation } from './loadServedPresentation.js';
import type { OriginRoot } from './originRoot.js';

/**
 * A fragment's parts with a `tfdt` in its `moof` (withTfdt) when it has none: the new
 * `moof` in memory, the rest still ranges of the source. Its time is the one the Manifest
 * announces, or the source's own for a first fragment that starts before 0.
 */
export async function withDecodeTime(
  root: OriginRoot,
  p: ServedPresentation,
  streamName: string,
  bitrate: number,
  chunk: number,
  f: Pick<FragmentRef, 'offset' | 'size' | 'built'>,
  parts: FragmentPart[],
  src: ByteSource,
): Promise<{ parts: FragmentPart[]; size: number; moofLength: number }> {
  const stream = p.streams.get(streamName)!;
  const level = stream.levels.get(bitrate)!;
  const moof = await readFragmentMoof(f, src);
  const { times } = stream;
  const time = chunk === 0 && level.firstTime !== undefined ? level.firstTime : times[chunk]!;
  const end = chunk + 1 < times.length ? times[chunk + 1]! : (level.firstTime ?? times[0]!) + level.track.duration;
  // Only a rebuilt moof (codec priming) may need the trex default, read with the init segment.
  const trexDefaultDuration = time < 0n ? ((await formatsOf(root, p)).trexDefaults.get(initKey(streamName, bitrate)) ?? 0) : 0;
  const next = withTfdt(moof, f.offset, { time, duration: end - time, trexDefaultDuration });
  if (!next) return { parts, size: f.size, moofLength: moof.length };
  return { parts: [next, ...sliceParts(parts, moof.length, f.size - moof.length)], size: f.size - moof.length + next.length, moofLength: next.length };
}

/**
 * Fragment `chunk` of a level encrypted on the fly (serve --key), byte for byte what
 * `package --key` writes: its `tfdt` added where the source has none (withDecodeTime, as
 * prepareFormats does for package), read whole, made protected by protectFragment as the
 * level's fragment number `chunk` (its IVs follow from that number alone), its payload
 * encrypted. Only this fragment is read: the first request of a long presentation costs
 * what any other does.
 */
export async function protectedFragment(root: OriginRoot, p: ServedPresentation, streamName: string, bitrate: number, chunk: number, src: ByteSource): Promise<Uint8Array> {
  const { level, protection, encryption, f, parts, size } = await clearFragment(root, p, streamName, bitrate, chunk, src);
  const body = await readFragmentBody(parts, (at, length) => src.read(at, length));
  if (body.length < size) throw new SmoothpubError(ErrorCode.READ_FAILED, 'source ended early; was it changed after indexing?', { file: src.name, offset: f.offset });
  return protection.encryptedFragment(body, encryption, chunk, { file: level.file, offset: f.offset });
}

/**
 * The protected size of every fragment of every level encrypted on the fly, kept with
 * the level (protectedSizes): the HLS playlists' BANDWIDTH and AVERAGE-BANDWIDTH follow
 * from them, as in the packaged playlists. Measured once, from what a fragment's
 * protected head depends on and nothing more (protectedSize): no payload is read whole.
 */
export function addProtectedSizes(root: OriginRoot, p: ServedPresentation): Promise<void> {
  // Requests that come while the sizes are measured wait for the same pass.
  let measuring = measured.get(p);
  if (measuring === undefined) {
    measuring = measureProtectedSizes(root, p);
    measured.set(p, measuring);
    // A failed pass (a source changed) is tried again by the next request.
    measuring.catch(() => measured.delete(p));
  }
  return measuring;
}

const measured = new WeakMap<ServedPresentation, Promise<void>>();

/** Fragments of a level measured at the same time: their small reads overlap. */
const MEASURING_AT_ONCE = 8;

async function measureProtectedSizes(root: OriginRoot, p: ServedPresentation): Promise<void> {
  for (const [streamName, stream] of p.streams) {
    for (const [bitrate, level] of stream.levels) {
      if (level.encryption === undefined || level.protectedSizes !== undefined) continue;
      const src = await root.open(level.file, p.sources.get(level.file)!);
      if (!src) throw new SmoothpubError(ErrorCode.READ_FAILED, 'the source changed or went away while its protected fragment sizes were measured; retry', { file: level.file });
      try {
        const sizes = new Float64Array(level.offsets.length);
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < sizes.length) {
            const chunk = next++;
            sizes[chunk] = await protectedSize(root, p, streamName, bitrate, chunk, src);
          }
        };
        await Promise.all(Array.from({ length: Math.min(MEASURING_AT_ONCE, sizes.length) }, worker));
        level.protectedSizes = sizes;
      } finally {
        await src.close();
      }
    }
  }
}

/** Ranges of a body closer than this are read as one: a read costs more than a few KiB of the page cache. */
const READ_GAP = 512;

/**
 * Fragment `chunk`'s protected size, byte for byte the length protectedFragment answers:
 * its head (the `moof` and the `mdat` header) and, for video, each NAL unit's length,
 * header and slice header (sparseVideoSubsamples), which decide its subsamples and so the
 * size of its sample encryption boxes. A few hundred bytes of each video sample are read,
 * nothing of an audio one.
 */
export async function protectedSize(root: OriginRoot, p: ServedPresentation, streamName: string, bitrate: number, chunk: number, src: ByteSource): Promise<number> {
  const { level, protection, encryption, f, parts, size, moofLength } = await clearFragment(root, p, streamName, bitrate, chunk, src);
  const where = { file: level.file, offset: f.offset };
  const read = async (at: number, length: number): Promise<Uint8Array> => {
    const bytes = await readFragmentBody(sliceParts(parts, at, length), (o, l) => src.read(o, l));
    if (bytes.length < length) throw new SmoothpubError(ErrorCode.READ_FAILED, 'source ended early; was it changed after indexing?', { file: src.name, offset: f.offset });
    return bytes;
  };
  const head = await read(0, await mdatPayloadAt(read, moofLength, size, where));
  const samples = readFragmentSamples(head, where, size);
  let subsamples: VideoSubsamples | undefined;
  if (encryption.video !== undefined) {
    const bytes = new SparseBytes();
    for (;;) {
      const laid = sparseVideoSubsamples(bytes, samples.start, samples.sizes, encryption.video, encryption.scheme, { ...where, fragment: chunk });
      if (laid.need === undefined) {
        subsamples = laid.subsamples;
        break;
      }
      await Promise.all(coalesce(laid.need, READ_GAP).map(async (r) => bytes.add(r.at, await read(r.at, r.length))));
    }
  }
  const laid = protection.protectFragment(head, encryption, chunk, where, { bodyLength: size, ...(subsamples && { subsamples }) });
  return laid.head.length + size - laid.payloadStart;
}

/** Where the `mdat` payload starts in a fragment's body: after the `moof` and any box between them, their headers read one by one. */
async function mdatPayloadAt(read: (at: number, length: number) => Promise<Uint8Array>, moofLength: number, size: number, where: FragmentWhere): Promise<number> {
  let at = moofLength;
  while (at + 8 <= size) {
    const h = readBoxHeader(new Cursor(await read(at, Math.min(MAX_BOX_HEADER, size - at)), where.offset + at), where.offset + size, 'fragment');
    if (h.type === 'mdat') return at + h.headerSize;
    at += h.size;
  }
  throw new SmoothpubError(ErrorCode.MISSING_BOX, "the fragment has no 'mdat' after its 'moof'", { ...(where.file !== undefined && { file: where.file }), offset: where.offset + moofLength });
}

/** The ranges sorted and joined where they overlap or lie less than `gap` bytes apart. */
export function coalesce(ranges: readonly NeededRange[], gap: number): NeededRange[] {
  const sorted = [...ranges].sort((a, b) => a.at - b.at);
  const out: NeededRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.at <= last.at + last.length + gap) last.length = Math.max(last.length, r.at + r.length - last.at);
    else out.push({ ...r });
  }
  return out;
}

/** An encrypted-on-the-fly level's fragment `chunk` as the clear origin would send it (parts, with the tfdt it adds): what protection starts from. */
async function clearFragment(root: OriginRoot, p: ServedPresentation, streamName: string, bitrate: number, chunk: number, src: ByteSource) {
  const level = p.streams.get(streamName)!.levels.get(bitrate)!;
  const protection = p.protection;
  const encryption = level.encryption;
  if (protection === undefined || encryption === undefined) throw new SmoothpubError(ErrorCode.BAD_OPTION, `internal: level ${streamName} ${bitrate} is not encrypted on the fly`, { file: level.file });
  const built = level.built?.[chunk];
  const f = { offset: level.offsets[chunk]!, size: level.sizes[chunk]!, ...(built && { built }) };
  return { level, protection, encryption, f, ...(await withDecodeTime(root, p, streamName, bitrate, chunk, f, fragmentParts(f), src)) };
}
