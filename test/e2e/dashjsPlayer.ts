// The player page in web/ in headless Chromium: dash.js (with its Smooth bundle) for Smooth
// and DASH, hls.js for HLS. Shared by the end-to-end tests that play from a local server or
// straight from a store; chromiumPlayer.ts builds the DASH and HLS runs on it.
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { toolPath } from '../harness/ci.js';
import { waitUntil } from '../harness/waitUntil.js';

/** The formats the page plays: Smooth and DASH with dash.js, HLS with hls.js. */
export type PageFormat = 'smooth' | 'dash' | 'hls';

export interface PlayerProblem {
  source: string;
  code: number | string | null;
  message: string;
  time: number;
}

/** What web/player.js returns from window.smoothpubStats(). */
export interface PlayerStats {
  /** null when the page could not start (a bad `format=`). */
  manifestUrl: string | null;
  format: PageFormat | null;
  library: 'dash.js' | 'hls.js' | null;
  /** Formats offered by the selector: those whose document exists beside the one playing. */
  formats: PageFormat[];
  /** Whether the page has looked for the other formats' documents yet. */
  formatsProbed: boolean;
  currentTime: number;
  duration: number;
  ended: boolean;
  /** The media element's paused and readyState, as the page reports them. */
  paused?: boolean;
  readyState?: number;
  /** The level being fetched (bits/s as the manifest announces it). */
  videoBitrate: number | null;
  /** The level on screen. */
  renderedVideoBitrate: number | null;
  autoQuality: boolean | null;
  /** Sorted by bitrate, lowest first (the page's quality indexes). */
  videoQualities: { id: string; bitrate: number; width: number; height: number }[];
  audioTracks: { lang: string | null; id: string | number; name: string | null }[];
  audioLanguage: string | null;
  /** getVideoPlaybackQuality(): frames decoded (shown or dropped) and dropped since the source was attached. */
  totalFrames: number | null;
  droppedFrames: number | null;
  audioDecodedBytes: number | null;
  videoDecodedBytes: number | null;
  /** Fatal errors (dash.js errors, hls.js fatal errors, media element errors, page problems). */
  errors: PlayerProblem[];
  /** hls.js errors it recovered from (a stall nudged past, a load retried). */
  warnings: PlayerProblem[];
  qualityChanges: { from: number | null; to: number | null; time: number }[];
  fragments: { type: string; bitrate: number | null; url: string }[];
  /** The video element's text tracks and their cues (HTML: cueHTMLElement for dash.js's TTML, getCueAsHTML otherwise). */
  textTracks: PageTextTrack[];
  /** Each element dash.js drew into the page's TTML captions element (a cue as it showed, even one removed before the page heard of it; `id` the cue's), and '' when it emptied, with the media time when the page heard of it. */
  captions: { time: number; id: string | null; html: string }[];
}

export interface PageTextTrack {
  kind: string;
  label: string;
  language: string;
  mode: string;
  /** `id`: the cue's id (dash.js's cueID for its TTML cues, which names the element it draws). */
  cues: { id: string | null; startTime: number; endTime: number; text: string | null; html: string | null }[];
}

export interface PlayerWindow {
  smoothpubStats(): PlayerStats;
  smoothpubSetQuality(choice: number | 'auto'): boolean;
  smoothpubSetAudioLanguage(lang: string): boolean;
  smoothpubSetFormat(format: PageFormat): boolean;
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

/** Collects the page's console.error lines and uncaught errors (CORS refusals show up here). */
export function watchPageErrors(page: Page): string[] {
  const lines: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') lines.push(m.text());
  });
  page.on('pageerror', (e) => lines.push(String(e)));
  return lines;
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
  try {
    const page = await context.newPage();
    const consoleErrors = watchPageErrors(page);
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
