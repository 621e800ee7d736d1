// Their own module: the CLI shows them in --help without loading the planner.

/** Fragments never change once written. */
export const DEFAULT_FRAGMENT_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** The Manifest may be re-published, so keep it short. */
export const DEFAULT_MANIFEST_CACHE_CONTROL = 'public, max-age=60';
/** The origin's 404: a presentation published after it must not stay hidden behind a cache for long. */
export const DEFAULT_NOT_FOUND_CACHE_CONTROL = 'public, max-age=10';
/** A live presentation's documents (rewritten every fragment) and its 404s (a fragment announced before it is stored). */
export const DEFAULT_LIVE_CACHE_CONTROL = 'public, max-age=1';
