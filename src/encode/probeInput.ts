import { runTool } from './runTool.js';

/** What the ladder and the ffmpeg command need to know about the input. */
export interface SourceInfo {
  /** Absolute stream indexes in the input (for `-map` / filter labels). */
  videoStream: number;
  /** Seconds; undefined when the container does not say (then progress has no percentage). */
  duration: number | undefined;
  width: number;
  height: number;
  /** Sample (pixel) aspect ratio, 1 for square pixels. */
  sampleAspect: number;
  /** Frames per second (average); 25 when the input does not say. */
  fps: number;
  audio: { stream: number; sampleRate: number; channels: number } | undefined;
}

interface ProbeStream {
  index?: number;
  codec_type?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  disposition?: { attached_pic?: number };
}

/** Runs ffprobe on `input`; undefined fields of the JSON become safe defaults. */
export async function probeInput(ffprobe: string, input: string, signal?: AbortSignal): Promise<SourceInfo | { noVideo: true }> {
  const args = ['-v', 'error', '-print_format', 'json', '-show_entries', 'format=duration:stream=index,codec_type,width,height,sample_aspect_ratio,avg_frame_rate,r_frame_rate,sample_rate,channels:stream_disposition=attached_pic', '-i', input];
  const out = await runTool(ffprobe, args, { tool: 'ffprobe', input, ...(signal && { signal }) });
  const json = JSON.parse(out) as { format?: { duration?: string }; streams?: ProbeStream[] };
  const streams = json.streams ?? [];
  // Cover art in an MP4/MP3 is a video stream too; it is not the picture to encode.
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1 && (s.width ?? 0) > 0);
  if (video === undefined) return { noVideo: true };
  const audio = streams.find((s) => s.codec_type === 'audio');
  const duration = Number(json.format?.duration);
  return {
    videoStream: video.index ?? 0,
    duration: Number.isFinite(duration) && duration > 0 ? duration : undefined,
    width: video.width!,
    height: video.height ?? 0,
    sampleAspect: parseRatio(video.sample_aspect_ratio, ':') ?? 1,
    fps: parseRatio(video.avg_frame_rate, '/') ?? parseRatio(video.r_frame_rate, '/') ?? 25,
    audio: audio === undefined ? undefined : { stream: audio.index ?? 0, sampleRate: Number(audio.sample_rate) || 48000, channels: audio.channels ?? 2 },
  };
}

/** `16:9`, `30000/1001`; undefined for `0/0`, `N/A` and other non-answers. */
function parseRatio(value: string | undefined, separator: string): number | undefined {
  const [a, b] = (value ?? '').split(separator).map(Number);
  if (a === undefined || b === undefined || !(a > 0) || !(b > 0)) return undefined;
  return a / b;
}
