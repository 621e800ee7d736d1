import { ErrorCode, SmoothpubError } from '../errors.js';
import type { PresentationProtection } from '../plan/protectionSettings.js';
import { keyAssignmentsFromCpix, loadCpix } from '../protect/cpix.js';
import { checkAssignments, parseKeyOption } from '../protect/keys.js';
import { ENCRYPTION_SCHEMES, type EncryptionScheme, type KeyAssignment } from '../protect/model.js';
import { parseWidevinePsshOption, type ProtectionSettings } from '../protect/signalling.js';
import { encryptionAsked, type ProtectionCliOptions } from './options.js';

/**
 * The encryption a command's options ask for, or undefined when none (no `--key`, no
 * `--cpix`). Keys are secrets: every error here names the option and the KID at most.
 */
export async function readProtection(opts: ProtectionCliOptions, signal?: AbortSignal): Promise<PresentationProtection | undefined> {
  if (!encryptionAsked(opts)) {
    const stray = [
      opts.playreadyLaUrl !== undefined && '--playready-la-url',
      opts.widevinePssh !== undefined && '--widevine-pssh',
      opts.fairplayKeyUri !== undefined && '--fairplay-key-uri',
      opts.psshInInit === true && '--pssh-in-init',
      opts.encryptionScheme !== undefined && opts.encryptionScheme !== 'cenc' && '--encryption-scheme',
    ].filter((s): s is string => s !== false);
    if (stray.length > 0) throw new SmoothpubError(ErrorCode.BAD_OPTION, `${stray[0]} needs a key to encrypt with: give --key <kid>:<key> or --cpix <file|url>`);
    return undefined;
  }
  if ((opts.key?.length ?? 0) > 0 && opts.cpix !== undefined) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, '--key and --cpix exclude each other: give the keys one way');
  }
  const scheme = parseEncryptionScheme(opts.encryptionScheme ?? 'cenc');
  let keys: KeyAssignment[];
  const settings: ProtectionSettings = { scheme };
  if (opts.cpix !== undefined) {
    const doc = await loadCpix(opts.cpix, signal);
    keys = keyAssignmentsFromCpix(doc, opts.cpix);
    settings.cpix = doc;
  } else {
    keys = (opts.key ?? []).map(parseKeyOption);
  }
  checkAssignments(keys);
  if (opts.playreadyLaUrl !== undefined) settings.playReadyLaUrl = parseUrl('--playready-la-url', opts.playreadyLaUrl, /^https?:$/);
  if (opts.fairplayKeyUri !== undefined) settings.fairPlayUri = parseUrl('--fairplay-key-uri', opts.fairplayKeyUri, /^skd:$/);
  if (opts.widevinePssh !== undefined) settings.widevinePssh = parseWidevinePsshOption(opts.widevinePssh);
  return { signal: settings, keys, ...(opts.psshInInit === true && { psshInInit: true }) };
}

export function parseEncryptionScheme(value: string): EncryptionScheme {
  const v = value.toLowerCase();
  const scheme = ENCRYPTION_SCHEMES.find((s) => s === v);
  if (scheme) return scheme;
  throw new SmoothpubError(ErrorCode.BAD_OPTION, `--encryption-scheme must be ${ENCRYPTION_SCHEMES.join(' or ')}, got '${value}'`);
}

function parseUrl(option: string, value: string, protocol: RegExp): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || !protocol.test(url.protocol)) {
    throw new SmoothpubError(ErrorCode.BAD_OPTION, `${option} must be an absolute ${protocol.source.replace(/[\\^$:]/g, '').replace('https?', 'http(s)')}: URL, got '${value}'`);
  }
  return value;
}
