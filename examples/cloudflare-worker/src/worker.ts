// smoothpub's origin as a Cloudflare Worker: Smooth Streaming, DASH and HLS answered from
// the original ISMV/ISMA/MP4 files in an R2 bucket (one object per rendition, with the
// `.smoothidx` sidecars `smoothpub index` writes), by byte ranges, on the edge.
import { createOrigin, createR2Root, type Origin, type R2BucketLike } from 'smoothpub/edge';

export interface Env {
  /** The R2 bucket binding (wrangler.toml `[[r2_buckets]] binding = "MEDIA"`). */
  MEDIA: R2BucketLike;
  /** Key prefix the presentations live under (wrangler.toml `[vars]`); default the bucket's root. */
  MEDIA_PREFIX?: string;
  /** Seconds a presentation's objects are trusted before their etags are checked again; default 5. */
  RECHECK_SECONDS?: string;
}

// One origin per isolate: the presentations it indexed (from their sidecars) serve every
// request the isolate gets until it is evicted.
let origin: Origin | undefined;

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    origin ??= createOrigin({
      root: createR2Root(env.MEDIA, {
        prefix: env.MEDIA_PREFIX ?? '',
        description: 'r2://MEDIA/',
        ...(env.RECHECK_SECONDS !== undefined && { recheckMs: Number(env.RECHECK_SECONDS) * 1000 }),
      }),
      onError: (error) => console.error(`smoothpub origin: ${error instanceof Error ? error.message : String(error)}`),
    });
    return origin(request);
  },
};
