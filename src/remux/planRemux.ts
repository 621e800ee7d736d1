import { basename, dirname, resolve } from 'node:path';
import type { BuiltPresentation, LevelBinding } from '../plan/buildPresentation.js';
import type { Ism, IsmEntry } from '../smooth/ism.js';
import type { StreamIndex } from '../smooth/model.js';

/** One media file of the remuxed presentation: one quality level's track. */
export interface RemuxFile {
  /** File name inside the output folder. */
  name: string;
  level: LevelBinding;
  stream: StreamIndex;
}

export interface RemuxLayout {
  files: RemuxFile[];
  /** `<name>.ism` and `<name>.ismc`. */
  ismName: string;
  ismcName: string;
  ism: Ism;
}

/** IIS's extensions: text tracks lived in `.ismt` files beside the `.ismv`/`.isma`. */
const EXTENSIONS = { video: 'ismv', audio: 'isma', text: 'ismt' } as const;

/**
 * Names the files as IIS and Expression Encoder output reads: `<name>_<bitrate>.ismv`
 * per video level, `<name>_<stream>_<bitrate>.isma` per audio level,
 * `<name>_<stream>_<bitrate>.ismt` per text stream (a `<textstream>`), and the `.ism`
 * entries that load them back as the same presentation: every level pinned by
 * trackID, bitrate, stream name and language, in Manifest order.
 */
export function planRemux(built: BuiltPresentation, name: string): RemuxLayout {
  const used = new Set<string>();
  const files: RemuxFile[] = [];
  for (const stream of built.presentation.streams) {
    for (const level of built.levels.filter((l) => l.streamName === stream.name)) {
      const stem = stream.type === 'video' ? `${name}_${level.bitrate}` : `${name}_${safeName(stream.name)}_${level.bitrate}`;
      const ext = EXTENSIONS[stream.type];
      let file = `${stem}.${ext}`;
      for (let n = 2; used.has(file.toLowerCase()); n++) file = `${stem}_${n}.${ext}`;
      used.add(file.toLowerCase());
      files.push({ name: file, level, stream });
    }
  }
  const ismcName = `${name}.ismc`;
  const entries = files.map(({ name: src, level, stream }): IsmEntry => {
    const e: IsmEntry = { kind: stream.type, src, systemBitrate: level.bitrate, trackId: level.track.trackId, trackName: stream.name };
    if (stream.language !== undefined) e.language = stream.language;
    return e;
  });
  return { files, ismName: `${name}.ism`, ismcName, ism: { clientManifestRelativePath: ismcName, entries } };
}

/** A stream name as part of a file name: letters, digits, '.', '-', '_' only. */
function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** `out/video.ism` names the `.ism` file (in `out/`); anything else is a folder named after itself. */
export function resolveOutput(output: string): { dir: string; name: string } {
  const abs = resolve(output);
  if (/\.ism$/i.test(abs)) return { dir: dirname(abs), name: basename(abs).slice(0, -'.ism'.length) };
  return { dir: abs, name: basename(abs) };
}
