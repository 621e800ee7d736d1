import { ErrorCode, SmoothpubError } from '../errors.js';
import type { ProtectionSettings } from '../plan/protectionSettings.js';
import { ENCRYPTION_SCHEMES, type EncryptionScheme, type KeyAssignment } from '../protect/model.js';
import { checkAssignments, parseKeyOption } from '../protect/keys.js';
import { encryptionAsked, PROTECTION_OPTIONS, type ProtectionCliOptions } from './options.js';

/**
 * The encryption a command's options ask for, or undefined when none (no `--key`, no
 * `--cpix`). Keys are secrets: every error here names the option and the KID at most.
 */
export async function readProtection(opts: ProtectionCliOptions, signal?: AbortSignal): Promise<ProtectionSettings | undefined> {
  if (!encryptionAsked(opts)) {
    const stray = [opts.playreadyLaUrl && '--playready-la-url', opts.widevinePssh && '--widevine-pssh', opts.fairplayKeyUri && '--fairplay-key-uri', opts.psshInInit && '--pssh-in-init'].filter(Boolean);
    if (stray.length > 0 || (opts.encryptionScheme !== undefined && opts.encryptionScheme !== PROTECTION_OPTIONS[2][2])) {
      throw new SmoothpubError(ErrorCode.BAD_OPTION, `${stray[0] ?? '--encryption-scheme'} needs a key to encrypt with: give --key <kid>:<key> or --cpix <file|url>`);
    }
    return undefined;
  }
  signal?.throwIfAborted();
  const scheme = parseEncryptionScheme(opts.encryptionScheme ?? 'cenc');
  const keys: KeyAssignment[] = (opts.key ?? []).map(parseKeyOption);
  checkAssignments(keys);
  return { scheme, keys };
}

export function parseEncryptionScheme(value: string): EncryptionScheme {
  const v = value.toLowerCase();
  const scheme = ENCRYPTION_SCHEMES.find((s) => s === v);
  if (scheme) return scheme;
  throw new SmoothpubError(ErrorCode.BAD_OPTION, `--encryption-scheme must be ${ENCRYPTION_SCHEMES.join(' or ')}, got '${value}'`);
}
