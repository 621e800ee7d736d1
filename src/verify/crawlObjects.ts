import type { Format } from '../formats/model.js';
import type { MoofInfo } from '../fragments/readMoof.js';
import { runAll } from '../util/runAll.js';
import { checkSampleEncryption } from './checkSampleEncryption.js';
import { checkManifestTiming, checkMdat, checkSyncStart, fragmentPrefixWanted, locateMoof, readFragmentMoof, SEGMENT_LEADING_BOXES, type FragmentProblem, type MoofPlace } from './checkFragment.js';
import { checkInitSegment, type InitSegment } from './checkInitSegment.js';
import { checkDashTiming, MISSING_TFDT, primingOf } from './checkSegmentTiming.js';
import { contentLength, type FetchResult } from './fetchBody.js';
import { redactUrl } from './manifestUrl.js';
import { VerifyCode } from './problem.js';
import type { FragmentExpectation, FragmentObject, InitObject, VerifySession } from './session.js';

/** The largest init segment read (they are a few hundred bytes: ftyp, moov, one sample description). */
const MAX_INIT_BYTES = 16 << 20;

export interface CrawlProgress {
  checked: number;
  total: number;
  problems: number;
}

export interface CrawlCounts {
  inits: number;
  fragments: number;
  bytes: number;
}

/**
 * Fetches every object the documents named, once each: the init segments first (a player
 * needs them before any fragment, and the fragments' checks need their track and `trex`),
 * then every fragment; checks each against what every format naming it says.
 */
export async function crawlObjects(session: VerifySession, concurrency: number, onProgress: ((p: CrawlProgress) => void) | undefined): Promise<CrawlCounts> {
  const inits = [...session.inits.values()];
  const fragments = [...session.fragments.values()];
  const total = inits.length + fragments.length;
  const counts: CrawlCounts = { inits: 0, fragments: 0, bytes: 0 };
  const report = (): void => onProgress?.({ checked: counts.inits + counts.fragments, total, problems: session.problemCount });
  report();
  const signal = session.fetchSettings.signal;
  await runAll(
    inits,
    concurrency,
    async (o) => {
      const r = await session.fetch(o.url, () => MAX_INIT_BYTES + 1);
      counts.bytes += checkInit(session, o, r);
      counts.inits++;
      report();
    },
    signal,
  );
  await runAll(
    fragments,
    concurrency,
    async (o) => {
      const r = await session.fetch(o.url, fragmentPrefixWanted);
      counts.bytes += checkFragmentObject(session, o, r);
      counts.fragments++;
      report();
    },
    signal,
  );
  signal?.throwIfAborted();
  return counts;
}

/** Status, CORS and Content-Length of an object's answer; its body bytes when it is worth checking. */
function checkAnswer(session: VerifySession, url: string, r: FetchResult, problem: (p: FragmentProblem) => void): (FetchResult & { kind: 'response' }) | undefined {
  if (r.kind === 'failed') return void problem({ code: r.code, message: r.message });
  if (r.status !== 200) return void problem({ code: VerifyCode.HTTP_STATUS, message: `expected HTTP 200, found ${r.status}${r.status === 404 ? ' (missing)' : ''}` });
  session.checkCors(r.headers, (m) => problem({ code: VerifyCode.CORS, message: m }));
  const declared = contentLength(r.headers);
  if (declared !== undefined && declared !== r.length) problem({ code: VerifyCode.TRUNCATED, message: `Content-Length says ${declared} bytes, body has ${r.length}` });
  return r;
}

function checkInit(session: VerifySession, o: InitObject, r: FetchResult): number {
  const formats = formatsOf(o.expectations);
  const problem = (p: FragmentProblem, only: Iterable<Format> = formats): void => session.problem(o.order, o.url, p.code, p.message, only);
  const answer = checkAnswer(session, o.url, r, problem);
  if (!answer) return 0;
  if (answer.length > MAX_INIT_BYTES) {
    problem({ code: VerifyCode.INIT_SEGMENT, message: `init segment of ${answer.length} bytes is larger than the ${MAX_INIT_BYTES} accepted` });
    return answer.length;
  }
  const checked = checkInitSegment(answer.prefix);
  if ('problems' in checked) {
    for (const p of checked.problems) problem(p);
    return answer.length;
  }
  const { init } = checked;
  o.init = init;
  for (const e of o.expectations) {
    if (e.timescale !== undefined && e.timescale !== init.timescale) {
      problem(
        {
          code: VerifyCode.TIMESCALE_MISMATCH,
          message: `init segment's track ${init.trackId} has timescale ${init.timescale} (mdhd), ${e.where} says ${e.timescale}: players would take every tfdt and sample duration on the wrong clock`,
        },
        [e.format],
      );
    }
    const handler = e.kind === undefined ? undefined : HANDLERS[e.kind];
    if (handler !== undefined && handler !== init.handlerType) {
      problem({ code: VerifyCode.INIT_SEGMENT, message: `${e.where} is ${e.kind}, its init segment's track is a '${init.handlerType}' track` }, [e.format]);
    }
  }
  return answer.length;
}

/** The `hdlr` handler type of each DASH content type. */
const HANDLERS: Record<string, string> = { video: 'vide', audio: 'soun' };

function checkFragmentObject(session: VerifySession, o: FragmentObject, r: FetchResult): number {
  const formats = formatsOf(o.expectations);
  const problem = (p: FragmentProblem, only: Iterable<Format> = formats): void => session.problem(o.order, o.url, p.code, p.message, only);
  const answer = checkAnswer(session, o.url, r, problem);
  if (!answer) return 0;
  const place = locateMoof(answer.prefix, answer.length, SEGMENT_LEADING_BOXES);
  if (!('end' in place)) {
    problem(place);
    return answer.length;
  }
  if (place.leading.length > 0 && formats.has('smooth')) {
    problem({ code: VerifyCode.NOT_FRAGMENT, message: `expected a 'moof' box first, found '${place.leading.join("', '")}' before it: Smooth clients take a fragment as moof + mdat` }, ['smooth']);
  }
  for (const p of checkMdat(answer.prefix, place.end, answer.length)) problem(p);
  // One check for every format that names the object: the init segment's tenc, when one was read, gives the IV size.
  const ivSize = o.expectations.map((e) => (e.format === 'smooth' ? undefined : e.init?.init?.ivSize)).find((s) => s !== undefined);
  for (const p of checkSampleEncryption(answer.prefix, place, ivSize)) problem(p);
  for (const e of o.expectations) {
    for (const p of checkExpectation(answer.prefix, place, e)) problem(p, [e.format]);
  }
  return answer.length;
}

function checkExpectation(prefix: Uint8Array, place: MoofPlace, e: FragmentExpectation): FragmentProblem[] {
  if (e.format === 'smooth') {
    // Smooth clients never see the moov, so a trex default cannot be relied on: count it as 0.
    const read = readFragmentMoof(prefix, place, () => 0);
    if (!('info' in read)) return [read];
    e.level.trackIds[e.index] = read.info.trackId;
    const problems = checkManifestTiming(read.info, e.expected, read.usedTrexDefault);
    if (e.expected.streamType === 'video') problems.push(...checkSyncStart(read.info));
    return problems;
  }
  // DASH and HLS players read the init segment first: its trex fills in what the moof leaves out.
  const init = e.init?.init;
  const read = readFragmentMoof(
    prefix,
    place,
    (id) => (init && id === init.trackId ? init.trex.defaultSampleDuration : 0),
    (id) => (init && id === init.trackId ? init.trex.defaultSampleFlags : undefined),
  );
  if (!('info' in read)) return [read];
  const { info } = read;
  const problems = init ? checkTrack(info, init, e.init!.url) : [];
  const note = read.usedTrexDefault && !init ? ' (some samples take their duration from a trex default, and no init segment could be read to give it)' : '';
  if (e.format === 'dash') {
    problems.push(...checkDashTiming(info, e, note));
    if (e.video) problems.push(...checkSyncStart(info));
    return problems;
  }
  if (info.tfdt === undefined) problems.push(MISSING_TFDT);
  if (init) e.track.results[e.index] = { tfdt: info.tfdt, duration: info.duration, priming: primingOf(info), timescale: init.timescale };
  if (init?.handlerType === 'vide') problems.push(...checkSyncStart(info));
  return problems;
}

/** A fragment must carry the track its init segment describes: a player finds no other. */
function checkTrack(info: MoofInfo, init: InitSegment, initUrl: string): FragmentProblem[] {
  if (info.trackId === init.trackId) return [];
  return [{ code: VerifyCode.TRACK_MISMATCH, message: `fragment's tfhd names track ${info.trackId}, its init segment ${redactUrl(initUrl)} describes track ${init.trackId}: players find no track for these samples` }];
}

function formatsOf(expectations: readonly { format: Format }[]): Set<Format> {
  return new Set(expectations.map((e) => e.format));
}
