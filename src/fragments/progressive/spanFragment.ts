import type { BuiltFragment, ByteRun, FragmentRef, SampleTable } from '../types.js';
import { buildHead, layoutFragment, sampleRuns } from './buildFragment.js';
import type { TrackTimeline } from './trackTimeline.js';
import { tfdtGrowth } from '../tfdtGrowth.js';

/** What every fragment of one cut track shares. */
export interface CutTrack {
  trackId: number;
  table: SampleTable;
  timeline: TrackTimeline;
}

/**
 * A built fragment's body held as its sample span (three numbers and the shared track)
 * rather than buildFragment's closures and `mdat` header: a long file has tens of
 * thousands of fragments, and the index, the plan and the origin keep every one.
 * The head is built again each time a body is wanted, which costs far less than the read.
 */
class SpanBody implements BuiltFragment {
  constructor(
    private readonly track: CutTrack,
    private readonly from: number,
    private readonly to: number,
    private readonly sequenceNumber: number,
  ) {}

  head(): Uint8Array {
    const { trackId, table, timeline } = this.track;
    return buildHead(table, timeline, { trackId, from: this.from, to: this.to, sequenceNumber: this.sequenceNumber });
  }

  runs(): ByteRun[] {
    return sampleRuns(this.track.table, this.from, this.to);
  }
}

/** The fragment of samples [from, to) of a cut track, as layoutFragment lays it out, held compactly. */
export function spanFragment(track: CutTrack, from: number, to: number, sequenceNumber: number): FragmentRef {
  const { time, duration, moofSize, headSize, payload } = layoutFragment(track.table, track.timeline, { trackId: track.trackId, from, to, sequenceNumber });
  const offset = track.table.offsets[from] ?? 0;
  const built = new SpanBody(track, from, to, sequenceNumber);
  const f: FragmentRef = { offset, size: headSize + payload, time: BigInt(time), duration: BigInt(duration), built };
  // Only a first fragment that starts before 0 (priming) is built without a tfdt (buildHead).
  const growth = time < 0 ? tfdtGrowth(built.head().subarray(0, moofSize), offset) : 0;
  if (growth) f.tfdtGrowth = growth;
  return f;
}
