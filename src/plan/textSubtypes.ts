import { ErrorCode, isSmoothpubError } from '../errors.js';
import type { TrackIndex } from '../fragments/types.js';
import type { Presentation } from '../smooth/model.js';
import { readManifest } from '../smooth/readManifest.js';
import type { SourceAccess } from '../source/sourceAccess.js';
import type { TextSubtype } from '../text/model.js';
import type { SelectedTrack } from './selectTracks.js';

/**
 * The client manifest IIS kept beside a presentation (`<name>.ismc`); undefined when there is
 * no such file. One that exists but is no client manifest is an error naming it.
 */
export async function readClientManifest(ismc: string, files: Pick<SourceAccess, 'readText'>): Promise<Presentation | undefined> {
  let xml: string;
  try {
    xml = await files.readText(ismc);
  } catch (e) {
    if (isSmoothpubError(e) && e.code === ErrorCode.READ_FAILED) return undefined;
    throw e;
  }
  try {
    return readManifest(xml);
  } catch (e) {
    throw isSmoothpubError(e) ? e.withContext({ file: ismc }) : e;
  }
}

/**
 * The Subtype a client manifest gives a text stream: the text StreamIndex of the same Name,
 * else the only one in that language, else the only one; CAPT and SUBT only (other
 * Subtypes are not TTML captions).
 */
export function clientManifestSubtype(manifest: Presentation, want: { name?: string | undefined; language?: string | undefined }): TextSubtype | undefined {
  const text = manifest.streams.filter((s) => s.type === 'text');
  const inLanguage = text.filter((s) => want.language !== undefined && s.language?.toLowerCase() === want.language.toLowerCase());
  const stream = text.find((s) => want.name !== undefined && s.name === want.name) ?? (inLanguage.length === 1 ? inLanguage[0] : undefined) ?? (text.length === 1 ? text[0] : undefined);
  const subtype = stream?.subtype?.trim().toUpperCase();
  return subtype === 'CAPT' || subtype === 'SUBT' ? subtype : undefined;
}

/** What a track's `kind` box (DASH role scheme) or handler name says it is: captions or subtitles. */
export function trackRoleSubtype(track: Pick<TrackIndex, 'textRole'>): TextSubtype | undefined {
  if (track.textRole === 'caption') return 'CAPT';
  if (track.textRole === 'subtitle') return 'SUBT';
  return undefined;
}

/**
 * Each passed-through text track's Subtype, first found of: `override` (--text-subtype), the
 * `.ism` (or the `.ismc` beside it, already in `subtype`), the `.ismc` named after the track's
 * file (`movie.ismc` beside `movie.ismv`), the track's `kind`/handler; else none (SUBT).
 */
export async function withTextSubtypes(text: readonly SelectedTrack[], files: Pick<SourceAccess, 'readText'>, override?: TextSubtype): Promise<SelectedTrack[]> {
  const manifests = new Map<string, Promise<Presentation | undefined>>();
  const out: SelectedTrack[] = [];
  for (const s of text) {
    let subtype = override ?? s.subtype;
    if (subtype === undefined) {
      const ismc = `${s.track.file.replace(/\.[^./\\]*$/, '')}.ismc`;
      if (!manifests.has(ismc)) manifests.set(ismc, readClientManifest(ismc, files));
      const manifest = await manifests.get(ismc)!;
      const language = s.language ?? s.track.language;
      subtype = (manifest && clientManifestSubtype(manifest, { name: s.trackName ?? `textstream_${language}`, language })) ?? trackRoleSubtype(s.track);
    }
    out.push(subtype === undefined ? s : { ...s, subtype });
  }
  return out;
}
