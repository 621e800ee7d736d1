/** A CORS rule in the shape both Azure (comma-separated strings) and S3 (arrays) map onto. */
export interface CorsRule {
  origins: string[];
  methods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  maxAgeSeconds: number;
}

/** What a Smooth player on `origins` needs: GET and HEAD of fragments and the Manifest. */
export function playerCorsRule(origins: string[], preflightMethod: boolean): CorsRule {
  return {
    origins,
    // Azure lists OPTIONS among a rule's methods; S3 answers preflights for every rule by itself.
    methods: preflightMethod ? ['GET', 'HEAD', 'OPTIONS'] : ['GET', 'HEAD'],
    allowedHeaders: ['*'],
    exposedHeaders: ['Content-Length', 'Content-Type', 'ETag', 'Date'],
    maxAgeSeconds: 3600,
  };
}

/**
 * Whether the existing rules already let every one of `origins` GET and HEAD, so that
 * nothing needs writing. Otherwise the player rule is appended after all of them: both
 * services use the first rule matching a request's origin and method, so a rule put in
 * front could answer the owner's own requests differently (fewer exposed headers,
 * another max age), while one at the end answers only requests no other rule allowed.
 * Setting the configuration replaces the whole list, so every existing rule is sent
 * back as it was read.
 */
export function allowsPlayers(existing: readonly CorsRule[], origins: readonly string[]): boolean {
  const served = (origin: string): boolean =>
    existing.some((r) => r.origins.some((o) => originMatches(o, origin)) && ['GET', 'HEAD'].every((m) => r.methods.some((x) => x.toUpperCase() === m)));
  return origins.every(served);
}

/** An allowed-origin entry (`*`, an exact origin, or with `*` wildcards as S3 allows) against an origin we want served. */
function originMatches(allowed: string, origin: string): boolean {
  if (allowed === '*') return true;
  if (!allowed.includes('*')) return allowed.toLowerCase() === origin.toLowerCase();
  // Ours may be `*` itself: only `*` serves every origin.
  if (origin === '*') return false;
  const pattern = allowed.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`, 'i').test(origin);
}
