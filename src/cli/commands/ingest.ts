import type { Command } from 'commander';
import { ErrorCode, SmoothpubError } from '../../errors.js';
import { DEFAULT_FINALIZE_AFTER_MS, DEFAULT_LIVE_MANIFEST_CACHE_CONTROL } from '../../live/defaults.js';
import type { LiveEvent } from '../../live/liveEvent.js';
import { DEFAULT_MAX_BOX_SIZE } from '../../live/pushParser.js';
import { diagnostic, printEvent, printStart } from '../events.js';
import { asStopping, DRAIN_MS, STOP_GRACE_MS, untilAborted, type Stopping } from '../interrupt.js';
import { FORMATS_OPTION, FRAGMENT_CACHE_CONTROL_OPTION, HOST_OPTION, JSON_OPTION, PORT_OPTION, parseFormats, parsePort, parsePositiveInt, storeLocation } from '../options.js';

interface IngestCliOptions {
  host: string;
  port: string;
  auth?: string;
  maxFragmentSize: string;
  finalizeAfter: string;
  retries: string;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  fragmentCacheControl: string;
  manifestCacheControl: string;
  archive?: boolean;
  dvr?: string;
  formats: string;
  json?: boolean;
}

export function registerIngest(program: Command, stop: AbortSignal | Stopping): void {
  const interrupt = asStopping(stop);
  const { signal } = interrupt;
  program
    .command('ingest')
    .description('a live ingest server: Smooth encoders (ffmpeg -f ismv, hardware encoders) push to it, and each fragment goes to the store as it completes, with a live Manifest rewritten after it; the event becomes a VOD presentation when it ends')
    .argument('<store>', 'where presentations go: a folder, az://container/prefix or s3://bucket/prefix (<store>/<name>.ism/Manifest and its fragments)')
    .option(...HOST_OPTION)
    .option(...PORT_OPTION)
    .option('--auth <user:password>', 'require HTTP Basic authentication (encoders send it from http://user:password@host/...); never printed')
    .option('--max-fragment-size <MiB>', 'largest box a push may send (an mdat: one fragment of media); a larger one drops that stream', String(DEFAULT_MAX_BOX_SIZE / 1024 / 1024))
    .option('--finalize-after <seconds>', 'no data from any encoder of a presentation for this long ends the event (the Manifest becomes VOD); an encoder back within it continues the event', String(DEFAULT_FINALIZE_AFTER_MS / 1000))
    .option('--archive', 'at the end of each event, also write each quality level as an IIS-style .ismv (its fragments as stored, an mfra) to <store>/<name>.archive/<stream>_<bitrate>.ismv: package, serve and remux read them')
    .option('--dvr <duration>', 'DVR window: how far behind the live edge players may seek (e.g. 2h, 90m, 30s); the live Manifest names only the window, and fragments that left it are deleted from the store 30 s later (default: unbounded, nothing deleted)')
    .option(FORMATS_OPTION[0], 'comma-separated: smooth, dash, hls. With dash or hls, each quality level\'s init segment is stored when it appears, every fragment gets a tfdt (Smooth clients play it as before), and manifest.mpd (dynamic) and master.m3u8 with its media playlists (sliding) are rewritten with the Manifest; static at the end of the event', FORMATS_OPTION[2])
    .option('--retries <n>', 'retries per store request on 408/429/5xx, resets and timeouts', '8')
    .option('--endpoint <url>', 'blob service / S3 endpoint (Azurite: http://127.0.0.1:10000/devstoreaccount1)')
    .option('--region <region>', 'S3 region (default: from the AWS environment)')
    .option('--path-style', 'S3 path-style addressing (default when --endpoint is given)')
    .option(...FRAGMENT_CACHE_CONTROL_OPTION)
    .option('--manifest-cache-control <value>', 'Cache-Control of the Manifest (live: changes every fragment)', DEFAULT_LIVE_MANIFEST_CACHE_CONTROL)
    .option(...JSON_OPTION)
    .addHelpText(
      'after',
      `
Encoders push to http://HOST:PORT/<name>.isml/Streams(<id>) (the fragmented-MP4 live ingest
protocol: one long chunked POST per stream carrying ftyp, the live server manifest box, moov,
then moof+mdat pairs). Several streams (one encoder per quality level, or audio apart) may
feed one <name>; an empty POST is answered 200. Each fragment is stored at
<store>/<name>.ism/QualityLevels(<bitrate>)/Fragments(<stream>=<time>) as soon as it is
whole (immutable) with a tfrf naming the fragment after it (each level holds its newest
fragment back until the next arrives; at the end, or when ingest stops, it is stored with an
empty tfrf), then <name>.ism/Manifest is rewritten (IsLive="TRUE", LookaheadCount 1) listing
it: the Manifest never names a fragment the store does not hold. With --dvr, the live
Manifest names only the chunks within the window (DVRWindowLength) and fragments that left
it are deleted 30 s later; the VOD Manifest at the end names what is still stored. A second encoder sending the same
timestamps (redundancy, or a reconnect) adds nothing: the first copy of a fragment wins.
A fragment starting before the end of what its level has is refused and logged; nothing is
overwritten. A gap (an encoder down) shows as a gap in the timeline. A push that is not a
live push, or sends a box above --max-fragment-size, is dropped and logged; others go on.
When every encoder of a presentation has ended its push, or none sent data for
--finalize-after seconds, the Manifest is rewritten as a static VOD Manifest (Duration, every
chunk, no IsLive). With --formats dash,hls the same fragments serve DASH and HLS under the
names package gives them (QualityLevels(<bitrate>)/Fragments(<stream>=i) init segments,
manifest.mpd, master.m3u8, <stream>-<bitrate>.m3u8 and the media-services aliases): the
MPD is dynamic (availabilityStartTime one fragment after the encoder's clock, as fragments
are stored one fragment late) and the playlists slide with the DVR window, both rewritten
after the Manifest and naming only stored objects; at the end the MPD turns static, and the
playlists list the last fragments live for a target duration, then gain EXT-X-ENDLIST.
The MPD names a UTCTiming (a HEAD of manifest.mpd itself, then its write time).
Started again on the same store (after a crash too), ingest reads each
presentation's Manifest and lists its fragments before taking pushes for it (with --formats,
levels come back into the MPD and playlists from their stored init segments, and the MPD's
availabilityStartTime is kept).
ingest answers only encoders: players read the store (a web server over the folder, the
bucket, a CDN) or \`smoothpub serve\` over the same folder, az:// or s3:// root, which answers
the stored presentation object by object with a 1 s Cache-Control on live documents and 404s.
GStreamer's mssdemux starts at the Manifest's first fragment: use --dvr for it to join near
the live edge.
Stops on SIGTERM or Ctrl-C: pushes are cut, fragments received whole are stored (up to 3 s),
the Manifests stay live (encoders may come back), exit 0 (130 after Ctrl-C).

Examples:
  smoothpub ingest /srv/live --port 8080
  smoothpub ingest az://live/events --host 0.0.0.0 --auth encoder:s3cret --dvr 2h
  smoothpub ingest /srv/live --formats smooth,dash,hls
  smoothpub serve /srv/live --port 8081      # players: http://HOST:8081/event1.ism/Manifest
  ffmpeg -re -i in.mp4 -c copy -movflags +isml+frag_keyframe -f ismv \\
    'http://encoder:s3cret@HOST:8080/event1.isml/Streams(video)'`,
    )
    .action(async (dest: string, opts: IngestCliOptions) => {
      const json = opts.json === true;
      if (json) printStart('ingest');
      const port = parsePort(opts.port);
      const auth = opts.auth === undefined ? undefined : parseAuth(opts.auth);
      const maxFragmentSize = parsePositiveInt('--max-fragment-size', opts.maxFragmentSize, 4096) * 1024 * 1024;
      const finalizeAfter = Number(opts.finalizeAfter);
      if (!(finalizeAfter > 0 && finalizeAfter <= 86_400)) throw new SmoothpubError(ErrorCode.BAD_OPTION, `--finalize-after must be 0 to 86400 seconds, got '${opts.finalizeAfter}'`);
      const retries = parsePositiveInt('--retries', opts.retries, 100);
      const { parseDestination } = await import('../../stores/parseDestination.js');
      const { createStore } = await import('../../stores/createStore.js');
      const { startIngest } = await import('../../live/ingestServer.js');
      const store = await createStore(parseDestination(dest), storeLocation(opts));
      const ingest = await startIngest({
        store,
        port,
        host: opts.host,
        ...(auth && { auth }),
        maxFragmentSize,
        finalizeAfterMs: finalizeAfter * 1000,
        fragmentCacheControl: opts.fragmentCacheControl,
        manifestCacheControl: opts.manifestCacheControl,
        retry: { retries, baseDelayMs: 200, maxDelayMs: 10_000 },
        onEvent: (e) => printLiveEvent(e, json),
        ...(opts.archive === true && { archive: true }),
        ...(opts.dvr !== undefined && { dvrWindowMs: parseDvr(opts.dvr) }),
        formats: parseFormats(opts.formats),
      });
      if (json) printEvent('listening', { url: ingest.url, store: store.description });
      else process.stdout.write(`ingesting into ${store.description} at ${ingest.url}\n  encoders push to ${ingest.url}/<name>.isml/Streams(<id>)\nPress Ctrl-C to stop.\n`);
      await untilAborted(signal);
      interrupt.allowGrace(DRAIN_MS + STOP_GRACE_MS);
      await ingest.close(STOP_GRACE_MS);
      interrupt.stoppedCleanly();
      if (json) printEvent('result', { command: 'ingest', url: ingest.url });
    });
}

/** `--dvr`: a duration with a unit (h, m, s; a bare number is seconds), in milliseconds. */
function parseDvr(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(h|m|s)?$/.exec(value.trim());
  const ms = m === null ? NaN : Number(m[1]) * (m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : 1000);
  if (!(ms >= 1000 && ms <= 7 * 86_400_000)) throw new SmoothpubError(ErrorCode.BAD_OPTION, `--dvr must be a duration of 1 s to 7 days such as 2h, 90m or 30s, got '${value}'`);
  return ms;
}

/** `user:password`; the password is kept out of every message. */
function parseAuth(value: string): { user: string; password: string } {
  const at = value.indexOf(':');
  if (at <= 0 || at === value.length - 1) throw new SmoothpubError(ErrorCode.BAD_OPTION, '--auth must be <user>:<password>, both non-empty (the value is not shown)');
  return { user: value.slice(0, at), password: value.slice(at + 1) };
}

/** One line per event: JSON `live` (`warning` for what was refused or dropped), or a log line on stderr. */
function printLiveEvent(e: LiveEvent, json: boolean): void {
  const problem = e.type === 'refused' || e.type === 'dropped' || e.type === 'rejected' || e.type === 'retry';
  if (json) {
    if (problem) {
      const { type, ...rest } = e;
      const code = 'code' in e ? e.code : type === 'rejected' ? 'live.rejected' : 'live.retry';
      const message = 'message' in e ? e.message : 'reason' in e ? e.reason : type;
      printEvent('warning', { ...diagnostic(code, message, rest), type });
    } else printEvent('live', { ...e });
    return;
  }
  process.stderr.write(`${describeLiveEvent(e)}\n`);
}

function describeLiveEvent(e: LiveEvent): string {
  switch (e.type) {
    case 'fragment':
      return `${e.action} ${e.key} (${e.size} bytes)`;
    case 'held':
      return `held ${e.key} until its next fragment (a copy under .smoothpub-ingest/)`;
    case 'duplicate':
      return `duplicate ${e.presentation} ${e.stream} ${e.bitrate} t=${e.t} from ${e.source}: already stored, dropped`;
    case 'refused':
      return `refused ${e.code}: ${e.message} (from ${e.source})`;
    case 'manifest':
      return `${e.live ? 'live' : 'VOD'} Manifest ${e.key} (${e.chunks.join('+')} chunks)`;
    case 'documents':
      return `${e.live ? 'live' : 'VOD'} ${e.keys.join(', ')}`;
    case 'finalized':
      return `event ${e.presentation} ended: VOD Manifest, duration ${(Number(e.duration) / 1e7).toFixed(3)} s`;
    case 'removed':
      return `DVR window: ${e.presentation} ${e.stream}: ${e.chunks} chunks ending at or before t=${e.before} left it, ${e.fragments} fragments deleted`;
    case 'archived':
      return `archived ${e.key} (${e.fragments} fragments, ${e.size} bytes)`;
    case 'recovered':
      return `resumed ${e.presentation} from the store: ${e.fragments} fragments, ${e.orphans} not in its Manifest, ${e.live ? 'live' : 'VOD'}`;
    case 'connection':
      return `push ${e.source}`;
    case 'tracks':
      return `push ${e.source}: ${e.tracks.map((t) => `${t.stream} ${t.bitrate} ${t.fourCC}`).join(', ')}`;
    case 'ended':
      return `push ${e.source} ${e.clean ? 'ended' : 'cut'}: ${e.fragments} fragments, ${e.bytes} bytes`;
    case 'dropped':
      return `dropped ${e.source}: ${e.code}: ${e.message}`;
    case 'rejected':
      return `rejected ${e.method} ${e.path}: ${e.status} ${e.reason}`;
    case 'retry':
      return `retry ${e.key} (attempt ${e.attempt}, in ${e.delayMs} ms): ${e.reason}`;
  }
}
