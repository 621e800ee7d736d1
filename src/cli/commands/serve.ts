import type { Command } from 'commander';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { printEvent, printStart } from '../events.js';
import {
  FOURCC_OPTION,
  FRAGMENT_CACHE_CONTROL_OPTION,
  FRAGMENT_DURATION_OPTION,
  HOST_OPTION,
  JSON_OPTION,
  MANIFEST_CACHE_CONTROL_OPTION,
  MANIFEST_TIMELINE_OPTION,
  NOT_FOUND_CACHE_CONTROL_OPTION,
  PORT_OPTION,
  parsePositiveInt,
  FORMATS_OPTION,
  addProtectionOptions,
  addProtectionHeaderOption,
} from '../options.js';
import { DEFAULT_LIVE_CACHE_CONTROL } from '../../plan/cacheControl.js';
import { openServe, printListening, serveUrl, type ServeCliOptions } from '../serveOrigin.js';
import { DRAIN_MS, STOP_GRACE_MS, untilAborted, asStopping, type Stopping } from '../interrupt.js';

export function registerServe(program: Command, stop: AbortSignal | Stopping): void {
  const interrupt = asStopping(stop);
  const { signal } = interrupt;
  const command = program
    .command('serve')
    .description('a Smooth Streaming, DASH and HLS origin: answer Manifest, MPD, playlist and fragment URLs from byte ranges of the original ISMV/ISMA or plain MP4 files, on disk or in a bucket')
    .argument('<root>', 'folder of presentations (<path>.ism server manifests, or <path>.ism/ folders of .ismv/.isma or plain .mp4/.m4a files), or az://container/prefix, s3://bucket/prefix, https://base/')
    .option(...HOST_OPTION)
    .option(...PORT_OPTION)
    .option('--cors <origins>', "Access-Control-Allow-Origin: '*', an origin or a comma-separated list; '' for none", '*')
    .option('--cache <n>', 'presentations kept indexed in memory', '1000')
    .option('--write-index', 'write a sidecar index beside each local source the origin has to index')
    .option('--endpoint <url>', 'blob service / S3 endpoint for az:// and s3:// roots (Azurite: http://127.0.0.1:10000/devstoreaccount1)')
    .option('--region <region>', 'S3 region (default: from the AWS environment)')
    .option('--path-style', 'S3 path-style addressing (default when --endpoint is given)')
    .option(FORMATS_OPTION[0], `${FORMATS_OPTION[1]}; with dash or hls every fragment gets a tfdt on the fly where its source has none`, 'smooth,dash,hls')
    .option(...MANIFEST_TIMELINE_OPTION)
    .option(...FRAGMENT_DURATION_OPTION)
    .option(...FOURCC_OPTION)
    .option('--no-policy', 'do not answer /clientaccesspolicy.xml and /crossdomain.xml')
    .option(...FRAGMENT_CACHE_CONTROL_OPTION)
    .option(...MANIFEST_CACHE_CONTROL_OPTION)
    .option(...NOT_FOUND_CACHE_CONTROL_OPTION)
    .option('--live-cache-control <value>', 'Cache-Control of a live stored presentation\'s documents and 404s (ingest output)', DEFAULT_LIVE_CACHE_CONTROL)
    .option('--recheck <seconds>', 'remote roots: how long a presentation is trusted before its objects are checked for changes', '5')
    .option('--workers <n>', 'worker processes answering on the one port, each indexing what it serves (default: one per core; 1 = a single process)')
    .option(...JSON_OPTION);
  addProtectionHeaderOption(addProtectionOptions(command))
    .addHelpText(
      'after',
      `
<root>/a/video.ism is served at http://HOST:PORT/a/video.ism/Manifest (Smooth),
.../a/video.ism/manifest.mpd (DASH) and .../a/video.ism/master.m3u8 (HLS, fMP4 segments),
and under the media-services names: manifest, manifest(format=mpd-time-csf),
manifest(format=mpd-time-cmaf), manifest(format=m3u8-cmaf), manifest(format=m3u8-aapl).
A remote root keeps one stored file per rendition and reads fragments with HTTP Range
requests (every read names the ETag indexed, so a replaced object is never served by a
stale index). Credentials: as for publish (AZURE_STORAGE_CONNECTION_STRING, or
AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY / AZURE_STORAGE_SAS_TOKEN / an Entra ID
identity, which needs @azure/identity installed; the AWS default chain). An https:// root cannot be listed: name .ism files.
Runs until stopped: on SIGTERM (or Ctrl-C) it stops accepting, lets responses in flight
finish (up to 5 s) and exits 0 (130 after Ctrl-C). A request that fails (500 with
X-Smoothpub-Error, 502) is logged on stderr, or as a JSON \`warning\` line on stdout with --json.
--workers N (default: one per core) runs N worker processes on the one port; this process
supervises them: a worker that dies is replaced (a \`serve.worker-replaced\` warning), and
replacements that keep failing to start end the run with their error. Memory is per
worker: each indexes the presentations it answers (up to --cache each).
A stored presentation (a .ism folder holding a Manifest object, as package, publish and
ingest write it) is answered object by object as stored: that is how a live event goes
through serve while \`smoothpub ingest\` writes it to the same folder, az:// or s3:// root
(fragments immutable; the documents and 404s with --live-cache-control while its Manifest
is live, then --manifest-cache-control).
With --key or --cpix every fragment is encrypted as it is answered (Common Encryption,
byte for byte what package --key writes) and the Manifest, MPD and playlists signal the
keys; a fragment's request reads that fragment only (the first HLS playlist request reads
each fragment once, for the protected sizes its bandwidths follow from).

Examples:
  smoothpub serve /srv/media --port 8080
  smoothpub index /srv/media/*.ism && smoothpub serve /srv/media --host 0.0.0.0
  smoothpub serve az://media/films --host 0.0.0.0
  smoothpub serve s3://my-bucket/films --region eu-west-1
  smoothpub serve https://cdn.example.com/films/`,
    )
    .action(async (root: string, opts: ServeCliOptions) => {
      if (opts.json) printStart('serve');
      const workers = opts.workers === undefined ? availableParallelism() : parsePositiveInt('--workers', opts.workers, 1024);
      if (workers > 1) {
        // Node-only and loaded on use, as the origin is below.
        const { superviseWorkers } = await import('../superviseWorkers.js');
        const url = await superviseWorkers({ root, opts, workers }, interrupt);
        if (opts.json) printEvent('result', { command: 'serve', url });
        return;
      }
      const { server, handler, description } = await openServe(root, opts, signal);
      let url: string | undefined;
      if (server.listening) {
        url = serveUrl(opts.host, (server.address() as AddressInfo).port);
        printListening(url, description, opts.json === true);
      }
      await untilAborted(signal);
      // Stop accepting, let responses in flight finish (bounded), then exit 0 on SIGTERM.
      interrupt.allowGrace(DRAIN_MS + STOP_GRACE_MS);
      const { closeGracefully } = await import('../../http/closeGracefully.js');
      await closeGracefully(server, DRAIN_MS);
      await handler.close();
      interrupt.stoppedCleanly();
      if (opts.json) printEvent('result', { command: 'serve', url });
    });
}
