// dash.js (with its Smooth bundle) in headless Chromium, driven through the player page in
// web/: shared by the end-to-end tests that play from a local server or straight from a store.
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { toolPath } from '../harness/ci.js';
import { waitUntil } from '../harness/waitUntil.js';

/** What web/player.js returns from window.smoothpubStats(). */
export interface PlayerStats {
  manifestUrl: string;
  currentTime: number;
  duration: number;
  ended: boolean;
  videoBitrate: number | null;
  renderedVideoBitrate: number | null;
  videoQualities: { id: string; bitrate: number; width: number; height: number }[];
  audioDecodedBytes: number | null;
  videoDecodedBytes: number | null;
  audioLanguage: string | null;
  errors: { source: string; code: number | string | null; message: string; time: number }[];
  qualityChanges: { from: number | null; to: number | null; time: number }[];
  fragments: { type: string; bitrate: number | null; url: string }[];
}

export interface PlayerWindow {
  smoothpubStats(): PlayerStats;
  smoothpubSetQuality(choice: number | 'auto'): boolean;
  smoothpubSetAudioLanguage(lang: string): boolean;
}

export const chromiumArgs = [
  '--no-sandbox',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The system Chromium, headless (never a downloaded browser: docs/architecture.md). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: toolPath('chromium') ?? 'chromium', args: chromiumArgs, headless: true });
}

export function stats(page: Page): Promise<PlayerStats> {
  return page.evaluate(() => (window as unknown as PlayerWindow).smoothpubStats());
}

/** Polls the page until `done`, the first player error (the caller asserts on it) or the timeout. */
export async function waitFor(page: Page, what: string, timeoutMs: number, done: (s: PlayerStats) => boolean): Promise<PlayerStats> {
  let last: PlayerStats | undefined;
  return waitUntil(
    what,
    async () => {
      last = await stats(page);
      // On the first error the caller's assertions print it.
      return done(last) || last.errors.length > 0 ? last : undefined;
    },
    { timeoutMs, intervalMs: 200, detail: () => JSON.stringify(last && { ...last, videoQualities: undefined, fragments: last.fragments.length }) },
  );
}

export interface DashjsPlayOptions {
  /** The player page, e.g. `startStaticServer(...).url` (web/index.html at `/`). */
  pageUrl: string;
  /** The Manifest to play; may be on another origin (then the store must answer CORS). */
  manifestUrl: string;
  /** The presentation's duration: playing counts as finished within 0.5 s of it. */
  durationSeconds: number;
  /** Playback rate (default 2: the tests need not watch in real time). */
  rate?: number;
  timeoutMs?: number;
}

export interface DashjsPlayResult {
  /** The page's stats at the end (or at the first player error). */
  end: PlayerStats;
  /** Played within 0.5 s of the duration, or `ended`. */
  finished: boolean;
  /** console.error lines and uncaught page errors (CORS refusals show up here). */
  consoleErrors: string[];
}

/**
 * Opens the player page on `manifestUrl` in a fresh browser context and waits for the end
 * (or the first error). Assertions are the caller's: the result says what happened.
 */
export async function playWithDashjs(browser: Browser, opts: DashjsPlayOptions): Promise<DashjsPlayResult> {
  const context = await browser.newContext();
  const consoleErrors: string[] = [];
  try {
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    const url = new URL(opts.pageUrl);
    url.searchParams.set('manifest', opts.manifestUrl);
    url.searchParams.set('rate', String(opts.rate ?? 2));
    await page.goto(url.href);
    const near = (s: PlayerStats): boolean => s.ended || s.currentTime >= opts.durationSeconds - 0.5;
    const end = await waitFor(page, 'the end', opts.timeoutMs ?? 60_000, near);
    return { end, finished: near(end), consoleErrors };
  } finally {
    await context.close();
  }
}
