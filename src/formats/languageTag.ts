/**
 * ISO 639-2 codes (terminology and bibliographic) of the languages that also have an
 * ISO 639-1 code, each as its three letters followed by the two (`frafr`). Media
 * files (`mdhd`) and Smooth manifests use ISO 639-2; DASH `lang` and HLS `LANGUAGE` are
 * BCP 47 (RFC 5646), whose registry holds only the shortest ISO 639 code of a language.
 */
const ISO_639_1_OF =
  'aaraa abkab afraf akaak albsq amham araar argan armhy asmas avaav aveae aymay azeaz bakba bambm ' +
  'baqeu belbe benbn bihbh bisbi bodbo bosbs brebr bulbg burmy catca cescs chach chece chizh chucu ' +
  'chvcv corkw cosco crecr cymcy czecs danda deude divdv dutnl dzodz ellel engen epoeo estet euseu ' +
  'eweee faofo fasfa fijfj finfi frafr frefr fryfy fulff geoka gerde glagd glega glggl glvgv greel ' +
  'grngn gujgu hatht hauha hebhe herhz hinhi hmoho hrvhr hunhu hyehy iboig iceis idoio iiiii ikuiu ' +
  'ileie inaia indid ipkik islis itait javjv jpnja kalkl kankn kasks katka kaukr kazkk khmkm kikki ' +
  'kinrw kirky komkv konkg korko kuakj kurku laolo latla lavlv limli linln litlt ltzlb lublu luglg ' +
  'macmk mahmh malml maomi marmr mayms mkdmk mlgmg mltmt monmn mrimi msams myamy nauna navnv nblnr ' +
  'ndend ndong nepne nldnl nnonn nobnb norno nyany ocioc ojioj orior ormom ossos panpa perfa plipi ' +
  'polpl porpt pusps quequ rohrm ronro rumro runrn rusru sagsg sansa sinsi slksk slosk slvsl smese ' +
  'smosm snasn sndsd somso sotst spaes sqisq srdsc srpsr sswss sunsu swasw swesv tahty tamta tattt ' +
  'telte tgktg tgltl thath tibbo tirti tonto tsntn tsots tuktk turtr twitw uigug ukruk urdur uzbuz ' +
  'venve vievi volvo welcy wlnwa wolwo xhoxh yidyi yoryo zhaza zhozh zulzu';

const TWO_LETTER = new Map<string, string>(ISO_639_1_OF.split(' ').map((pair) => [pair.slice(0, 3), pair.slice(3)]));

/**
 * The BCP 47 tag for a track's language: an ISO 639-2 code with an ISO 639-1 equivalent
 * becomes it (`fra` and `fre` -> `fr`, as Shaka Packager writes it), anything else (`gsw`,
 * `en-US`) stays as it is; `und` (undetermined) and '' give undefined.
 */
export function languageTag(language: string | undefined): string | undefined {
  const code = language?.trim() ?? '';
  if (code === '' || code.toLowerCase() === 'und') return undefined;
  return TWO_LETTER.get(code.toLowerCase()) ?? code;
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
