// An .ismv carrying a video track and a TTML text track, as encoders that write every level
// of a ladder with the same captions do: the video file's moov and fragments with the .ismt's
// track added as track 2 (tkhd, trex and every tfhd renumbered), one text fragment after each
// video fragment, no mfra (read by a scan). For tests only: both inputs are smoothpub's own
// fixtures (ftyp, moov, then moof/mdat pairs, an optional mfra at the end).
import { concatBytes } from '../../src/util/concatBytes.js';

interface Box {
  type: string;
  bytes: Uint8Array;
}

function boxes(bytes: Uint8Array, from = 0, to = bytes.length): Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Box[] = [];
  for (let at = from; at + 8 <= to; ) {
    const size = view.getUint32(at);
    if (size < 8) throw new Error(`box of size ${size} at ${at}`);
    out.push({ type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)), bytes: bytes.subarray(at, at + size) });
    at += size;
  }
  return out;
}

const childrenOf = (b: Box): Box[] => boxes(b.bytes, 8);
const box = (type: string, children: Uint8Array[]): Uint8Array => {
  const body = concatBytes(children);
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(body, 8);
  return out;
};

/** A copy of `b` with the u32 at `offset` (from the box's start) set to `value`. */
function withU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  new DataView(copy.buffer).setUint32(offset, value);
  return copy;
}

/** The box with `type` at `path` inside `b` replaced by `f(box)` (containers rebuilt). */
function rewrite(b: Box, path: string[], f: (inner: Box) => Uint8Array): Uint8Array {
  if (path.length === 0) return f(b);
  return box(b.type, childrenOf(b).map((c) => (c.type === path[0] ? rewrite(c, path.slice(1), f) : c.bytes)));
}

/** tkhd/tfhd: track_ID after version/flags (and tkhd's creation and modification times). */
const tkhdTrackId = (tkhd: Box): Uint8Array => withU32(tkhd.bytes, tkhd.bytes[8] === 1 ? 8 + 4 + 16 : 8 + 4 + 8, TEXT_TRACK_ID);
const TEXT_TRACK_ID = 2;

export function muxTextTrack(video: Uint8Array, text: Uint8Array): Uint8Array {
  const v = boxes(video);
  const x = boxes(text);
  const vMoov = v.find((b) => b.type === 'moov')!;
  const xMoov = x.find((b) => b.type === 'moov')!;
  const xTrak = childrenOf(xMoov).find((b) => b.type === 'trak')!;
  const xTrex = childrenOf(childrenOf(xMoov).find((b) => b.type === 'mvex')!).find((b) => b.type === 'trex')!;
  const moov = box(
    'moov',
    childrenOf(vMoov).flatMap((c) => {
      if (c.type === 'mvhd') return [withU32(c.bytes, c.bytes.length - 4, TEXT_TRACK_ID + 1)]; // next_track_ID
      if (c.type === 'mvex') return [box('mvex', [...childrenOf(c).map((m) => m.bytes), withU32(xTrex.bytes, 12, TEXT_TRACK_ID)])];
      if (c.type === 'trak') return [c.bytes, rewrite(xTrak, ['tkhd'], tkhdTrackId)];
      return [c.bytes];
    }),
  );
  const pairs = (list: Box[]): Uint8Array[] => {
    const out: Uint8Array[] = [];
    list.forEach((b, i) => {
      if (b.type === 'moof') out.push(concatBytes([b.bytes, list[i + 1]!.bytes]));
    });
    return out;
  };
  const videoFragments = pairs(v);
  const textFragments = pairs(x).map((f) => {
    const [moof, mdat] = boxes(f);
    return concatBytes([rewrite(moof!, ['traf', 'tfhd'], (tfhd) => withU32(tfhd.bytes, 12, TEXT_TRACK_ID)), mdat!.bytes]);
  });
  if (videoFragments.length !== textFragments.length) throw new Error('the video and text tracks must have as many fragments');
  return concatBytes([v.find((b) => b.type === 'ftyp')!.bytes, moov, ...videoFragments.flatMap((f, i) => [f, textFragments[i]!])]);
}
