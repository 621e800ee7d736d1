// The ingest defaults the CLI shows in --help: kept apart from the ingest server so that
// registering the command does not load it (and every other command's start-up with it).

import { DEFAULT_LIVE_CACHE_CONTROL } from '../plan/cacheControl.js';

/** A live Manifest changes every fragment: caches may keep it for a second at most (what serve gives a live stored presentation's documents). */
export const DEFAULT_LIVE_MANIFEST_CACHE_CONTROL = DEFAULT_LIVE_CACHE_CONTROL;
/** No data for this long ends the event (the Manifest becomes VOD): an encoder restarted within it continues the event. */
export const DEFAULT_FINALIZE_AFTER_MS = 30_000;
