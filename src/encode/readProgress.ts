/** One `-progress` report of ffmpeg, reduced to what a progress bar needs. */
export interface FfmpegProgress {
  /** Seconds of input encoded so far. */
  seconds: number;
  /** Encoding speed as a multiple of real time, when ffmpeg knows it. */
  speed: number | undefined;
  /** True on ffmpeg's final report. */
  end: boolean;
}

/**
 * Collects the `key=value` lines of `ffmpeg -progress pipe:1` into one report per block
 * (each block ends with `progress=continue` or `progress=end`). Times never go back:
 * out_time is N/A or negative before the first packet and can jitter across outputs.
 */
export function createProgressReader(onReport: (p: FfmpegProgress) => void): (line: string) => void {
  let seconds = 0;
  let speed: number | undefined;
  return (line) => {
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'out_time_us') {
      const us = Number(value);
      if (Number.isFinite(us) && us / 1e6 > seconds) seconds = us / 1e6;
    } else if (key === 'speed') {
      const x = Number.parseFloat(value);
      speed = Number.isFinite(x) ? x : undefined;
    } else if (key === 'progress') {
      onReport({ seconds, speed, end: value === 'end' });
    }
  };
}
