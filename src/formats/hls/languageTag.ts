/**
 * The RFC 5646 tag HLS's `LANGUAGE` takes for a Smooth `Language` (ISO 639-2: `eng`,
 * `fra`): canonical, so the shortest code (`en`, `fr`) as RFC 5646 4.1 asks. Undefined
 * for no language (`und`) and for text that is not a language tag.
 */
export function languageTag(language: string | undefined): string | undefined {
  if (language === undefined || language === '' || language.toLowerCase() === 'und') return undefined;
  try {
    return Intl.getCanonicalLocales(language)[0];
  } catch {
    return undefined;
  }
}

/** True when `tag` is a well-formed RFC 5646 language tag. */
export function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

/**
 * A rendition's `NAME`: the language's name in that language (RFC 8216 4.3.4.1: "this
 * description SHOULD be in that language"), `English`, `français`; else `fallback`.
 */
export function languageName(tag: string | undefined, fallback: string): string {
  if (tag === undefined) return fallback;
  try {
    const name = new Intl.DisplayNames([tag], { type: 'language', fallback: 'none' }).of(tag);
    return name ?? fallback;
  } catch {
    return fallback;
  }
}
