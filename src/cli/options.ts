import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ErrorCode, SmoothpubError } from '../errors.js';
import type { ProtectionHeader } from '../smooth/model.js';
import type { ManifestTimeline } from '../plan/buildPresentation.js';
import type { FourCCChoice, VideoFourCC } from '../smooth/fourCCChoice.js';
import type { CreateStoreOptions } from '../stores/createStore.js';
import { FORMATS, type Format } from '../formats/model.js';
import type { TextInput } from '../plan/textStreams.js';
import type { TextSubtype } from '../text/model.js';
import { DEFAULT_FRAGMENT_CACHE_CONTROL, DEFAULT_MANIFEST_CACHE_CONTROL, DEFAULT_NOT_FOUND_CACHE_CONTROL } from '../plan/cacheControl.js';

/** `--json` of every command: one event shape, described in the README ("JSON output"). */
export const JSON_OPTION = ['--json', 'print JSON lines on stdout: start, progress, ..., then result or error (README: "JSON output")'] as const;

/**
 * `--force` means one thing everywhere: replace what is already at the destination.
 * Without it package and encode refuse an existing output folder, remux refuses files
 * of the same names, and publish leaves unchanged objects and the owner's different
 * policy files at the account or bucket root as they are.
 */
export const FORCE_FLAGS = '-f, --force';

/** `--fragment-cache-control`, `--manifest-cache-control` of publish and serve. */
export const FRAGMENT_CACHE_CONTROL_OPTION = ['--fragment-cache-control <value>', 'Cache-Control of fragments', DEFAULT_FRAGMENT_CACHE_CONTROL] as const;
export const MANIFEST_CACHE_CONTROL_OPTION = ['--manifest-cache-control <value>', 'Cache-Control of the Manifest', DEFAULT_MANIFEST_CACHE_CONTROL] as const;
export const NOT_FOUND_CACHE_CONTROL_OPTION = ['--not-found-cache-control <value>', "Cache-Control of a 404 ('no-store' to keep caches from storing it)", DEFAULT_NOT_FOUND_CACHE_CONTROL] as const;

/** `--fourcc <codes>`, read with parseFourCC. */
export const FOURCC_OPTION = [
  '--fourcc <codes>',
  "video FourCC: H264, or AVC1 for old clients (H.264); HVC1 or HEV1 (HEVC; default: the sample entry's own); one per codec, comma-separated (AVC1,HVC1)",
  'H264',
] as const;

const H264_CODES = ['H264', 'AVC1'];
const HEVC_CODES = ['HVC1', 'HEV1'];

/** One code or one per codec: `AVC1`, `HEV1`, `AVC1,HVC1`. */
export function parseFourCC(value: string): FourCCChoice {
  const codes = value.split(',').map((v) => v.trim().toUpperCase());
  const bad = codes.find((c) => !H264_CODES.includes(c) && !HEVC_CODES.includes(c));
  if (bad !== undefined) throw new SmoothpubError(ErrorCode.BAD_OPTION, `--fourcc takes H264 or AVC1 (H.264) and HVC1 or HEV1 (HEVC), comma-separated, got '${value}'`);
  if (codes.filter((c) => H264_CODES.includes(c)).length > 1 || codes.filter((c) => HEVC_CODES.includes(c)).length > 1) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `--fourcc takes at most one code per codec (one of H264, AVC1 and one of HVC1, HEV1), got '${value}'`);
  }
  const choice = codes as VideoFourCC[];
  return choice.length === 1 ? choice[0]! : choice;
}

export function parsePositiveInt(name: string, value: string, max: number): number {
  const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) throw new SmoothpubError(ErrorCode.BAD_OPTION, `${name} must be an integer from 1 to ${max}, got '${value}'`);
  return n;
}

/** `--host` and `--port` of the commands that listen (play, serve). */
export const HOST_OPTION = ['--host <host>', 'address to listen on', '127.0.0.1'] as const;
export const PORT_OPTION = ['--port <port>', 'port to listen on (0 = any free port)', '8080'] as const;

/** `--port`: 0 (any free port) or 1-65535. */
export function parsePort(value: string): number {
  return value === '0' ? 0 : parsePositiveInt('--port', value, 65535);
}

export function parseConcurrency(value: string, max = 256): number {
  return parsePositiveInt('--concurrency', value, max);
}

/** `--fragment-duration <s>`: plain MP4 input is cut into fragments of about this many seconds. */
export const FRAGMENT_DURATION_OPTION = ['--fragment-duration <s>', 'plain MP4 input: target fragment length in seconds, cut at keyframes all video levels share', '2'] as const;

/** `--fragment-duration`: seconds, above 0 and at most 60 (plain MP4 input, encode). */
export function parseFragmentDuration(value: string): number {
  const n = /^\d{1,3}(\.\d{1,6})?$/.test(value) ? Number(value) : NaN;
  if (!(n > 0 && n <= 60)) throw new SmoothpubError(ErrorCode.BAD_OPTION, `--fragment-duration must be a number of seconds above 0 and at most 60, got '${value}'`);
  return n;
}

/** `--manifest-timeline`: how the Manifest lists chunks (package, publish, serve, remux). */
export const MANIFEST_TIMELINE_OPTION = [
  '--manifest-timeline <form>',
  'compact: a run of equal fragment durations as one <c> with r (Manifest v2.2; GStreamer and dash.js read it); expanded: one <c> a fragment, for clients that know no r',
  'compact',
] as const;

export function parseManifestTimeline(value: string): ManifestTimeline {
  const v = value.toLowerCase();
  if (v === 'compact' || v === 'expanded') return v;
  throw new SmoothpubError(ErrorCode.BAD_OPTION, `--manifest-timeline must be compact or expanded, got '${value}'`);
}

/** `--endpoint`, `--region`, `--path-style` as the store options publish and serve pass on. */
export interface StoreLocationFlags {
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
}

/** Path-style addressing is the default with an explicit endpoint (Azurite, s3rver, MinIO). */
export function storeLocation(opts: StoreLocationFlags): Pick<CreateStoreOptions, 'endpoint' | 'region' | 'forcePathStyle'> {
  return {
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint, forcePathStyle: opts.pathStyle ?? true }),
    ...(opts.endpoint === undefined && opts.pathStyle !== undefined && { forcePathStyle: opts.pathStyle }),
    ...(opts.region !== undefined && { region: opts.region }),
  };
}

/** `--formats`: which of Smooth, DASH and HLS to write (package, publish, verify, serve, play). */
export const FORMATS_OPTION = [
  '--formats <list>',
  'comma-separated: smooth, dash, hls (one copy of the fragments serves all: DASH and HLS add manifest.mpd, master.m3u8, media playlists and one init segment per quality level)',
  'smooth',
] as const;

export function parseFormats(value: string): Format[] {
  const asked = value
    .split(',')
    .map((f) => f.trim().toLowerCase())
    .filter((f) => f !== '');
  const unknown = asked.filter((f) => !(FORMATS as readonly string[]).includes(f));
  if (asked.length === 0 || unknown.length > 0) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `--formats takes a comma-separated list of ${FORMATS.join(', ')}, got '${value}'`);
  }
  return FORMATS.filter((f) => asked.includes(f));
}

/** The encryption options of package, publish and serve, as commander gives them. Secrets: never print them. */
export interface ProtectionCliOptions {
  key?: string[];
  cpix?: string;
  encryptionScheme?: string;
  playreadyLaUrl?: string;
  widevinePssh?: string;
  fairplayKeyUri?: string;
  psshInInit?: boolean;
}

/** What each protection option says in --help: one table, so every command says the same. */
export const PROTECTION_OPTIONS = [
  ['--key <[type=]kid:key>', 'encrypt with this content key (repeatable): KID and AES-128 key as 32 hex digits or base64; video=, audio= for one track type. Turns encryption on'],
  ['--cpix <file|url>', 'content keys (and DRM system data) from a CPIX 2.3 document: a file or an http(s) URL. Turns encryption on'],
  ['--encryption-scheme <scheme>', 'Common Encryption scheme: cenc (AES-CTR; PlayReady, Widevine) or cbcs (AES-CBC 1:9 pattern; FairPlay, recent PlayReady and Widevine)', 'cenc'],
  ['--playready-la-url <url>', 'PlayReady license server URL, written into the PlayReady header (LA_URL)'],
  ['--widevine-pssh <base64>', 'Widevine pssh data (base64) from your key server, signalled as it is; default: made from the KIDs'],
  ['--fairplay-key-uri <skd://...>', 'FairPlay key URI for the HLS playlists (needs --encryption-scheme cbcs)'],
  ['--pssh-in-init', 'also put the pssh boxes in every DASH/HLS init segment (by default they are in the MPD and playlists only)'],
] as const;

/** Adds the encryption options (PROTECTION_OPTIONS) to a command; `--key` collects every value given. */
export function addProtectionOptions(command: Command): Command {
  for (const [flags, description, defaultValue] of PROTECTION_OPTIONS) {
    if (flags.startsWith('--key ')) command.option(flags, description, (value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    else if (defaultValue !== undefined) command.option(flags, description, defaultValue);
    else command.option(flags, description);
  }
  return command;
}

/** Whether any option that turns encryption on (a key, a CPIX document) was given. */
export function encryptionAsked(opts: ProtectionCliOptions): boolean {
  return (opts.key?.length ?? 0) > 0 || opts.cpix !== undefined;
}

/**
 * `--protection-header <SystemID>:<base64>` (repeatable; `<SystemID>:@<file>` reads the
 * header from a file: base64 text, or the PlayReady Object's bytes): the Smooth Manifest's
 * `<Protection>` for sources that are already encrypted, used before what they carry
 * (`.ismc`, moov `pssh`, PIFF header). package, publish and serve take it; verify checks
 * that the published Manifest carries exactly it.
 */
export const PROTECTION_HEADER_OPTION = [
  '--protection-header <systemId:base64>',
  'already-encrypted sources: the Smooth Manifest protection header, <SystemID>:<base64> or <SystemID>:@<file> (repeatable; default: the .ismc beside the .ism, a PlayReady pssh or PIFF header in the moov)',
] as const;

/** Adds `--protection-header` (collected into a list) to a command: one place for every command that takes it. */
export function addProtectionHeaderOption<C extends Command>(command: C): C {
  command.option(PROTECTION_HEADER_OPTION[0], PROTECTION_HEADER_OPTION[1], (value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  return command;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The headers `--protection-header` gave, as the Manifest states them (SystemID dashed, lowercase; data base64). */
export function parseProtectionHeaders(values: readonly string[] | undefined): ProtectionHeader[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return values.map((value) => {
    const colon = value.indexOf(':');
    const id = colon < 0 ? '' : value.slice(0, colon);
    if (!UUID.test(id)) {
      throw new SmoothpubError(ErrorCode.BAD_OPTION, `--protection-header takes <SystemID>:<base64> or <SystemID>:@<file>, the SystemID a UUID (PlayReady: 9a04f079-9840-4286-ab92-e65be0885f95); got '${id === '' ? value.slice(0, 40) : id}'`);
    }
    const hex = id.replace(/-/g, '').toLowerCase();
    const systemId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const rest = value.slice(colon + 1);
    return { systemId, data: rest.startsWith('@') ? headerFromFile(rest.slice(1)) : checkedBase64(rest, 'the header after the SystemID') };
  });
}

/** `--protection-header` as load options (package, publish, serve): nothing when not given. */
export function passthroughHeaders(values: readonly string[] | undefined): { protectionHeaders?: ProtectionHeader[] } {
  const protectionHeaders = parseProtectionHeaders(values);
  return protectionHeaders === undefined ? {} : { protectionHeaders };
}

function headerFromFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `--protection-header: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
  const text = bytes.toString('latin1').replace(/\s+/g, '');
  // A PlayReady Object starts with its little-endian length: never base64 text.
  return BASE64.test(text) && text.length % 4 === 0 ? text : bytes.toString('base64');
}

function checkedBase64(text: string, what: string): string {
  if (!BASE64.test(text) || text.length % 4 !== 0) throw new SmoothpubError(ErrorCode.BAD_OPTION, `--protection-header: ${what} is not base64 (${text.length} characters)`);
  return text;
}

/** `--text <file:lang[:name]>` (repeatable) and `--text-subtype` of the commands that take inputs. */
export const TEXT_OPTION = [
  '--text <file:lang[:name]>',
  'a subtitle file to add as a text stream (repeatable): WebVTT .vtt, SRT .srt or TTML .ttml/.dfxp, its language (eng, en-US) and the name players list it under; cut into TTML fragments at the video fragments\' times (DASH stpp, HLS WebVTT)',
] as const;
export const TEXT_SUBTYPE_OPTION = [
  '--text-subtype <subtype>',
  "what the text streams are: SUBT (subtitles) or CAPT (captions for the deaf and hard of hearing); Smooth Subtype, DASH Role, HLS CHARACTERISTICS. Default: SUBT for --text files; for text tracks of the sources what the .ism, the .ismc or the track's kind says, else SUBT",
] as const;

/** The CLI options `addTextOptions` adds, as commander gives them. */
export interface TextCliOptions {
  text?: string[];
  textSubtype?: string;
}

/** Adds `--text` (collected into a list) and `--text-subtype` to a command. */
export function addTextOptions<C extends Command>(command: C): C {
  command.option(TEXT_OPTION[0], TEXT_OPTION[1], (value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
  command.option(...TEXT_SUBTYPE_OPTION);
  return command;
}

const TEXT_SPEC = /^(.+?\.(?:vtt|webvtt|srt|ttml|dfxp|xml)):([A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*)(?::(.+))?$/i;

/** `--text` values and `--text-subtype` as load options (nothing when neither was given). */
export function textInputs(opts: TextCliOptions): { texts?: TextInput[]; textSubtype?: TextSubtype } {
  let subtype: TextSubtype | undefined;
  if (opts.textSubtype !== undefined) {
    const given = opts.textSubtype.toUpperCase();
    if (given !== 'SUBT' && given !== 'CAPT') throw new SmoothpubError(ErrorCode.BAD_OPTION, `--text-subtype must be SUBT or CAPT, got '${opts.textSubtype}'`);
    subtype = given;
  }
  const override = subtype === undefined ? {} : { textSubtype: subtype };
  if (opts.text === undefined || opts.text.length === 0) return override;
  return {
    ...override,
    texts: opts.text.map((value) => {
      const m = TEXT_SPEC.exec(value);
      if (!m) {
        throw new SmoothpubError(ErrorCode.BAD_OPTION, `--text takes <file>:<language>[:<name>], the file a .vtt, .srt, .ttml or .dfxp and the language a code such as eng or en-US; got '${value}'`);
      }
      return { file: m[1]!, language: m[2]!, subtype: subtype ?? 'SUBT', ...(m[3] !== undefined && { label: m[3] }) };
    }),
  };
}
