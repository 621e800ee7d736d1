/**
 * Runs `fn` with the native addons on (SMOOTHPUB_NO_NATIVE removed, whatever the
 * environment says) or off (SMOOTHPUB_NO_NATIVE=1), then puts the variable back. The
 * addons read it on every use; a writer thread copies the environment when it starts.
 */
export async function withNative<T>(on: boolean, fn: () => T | Promise<T>): Promise<T> {
  const saved = process.env['SMOOTHPUB_NO_NATIVE'];
  if (on) delete process.env['SMOOTHPUB_NO_NATIVE'];
  else process.env['SMOOTHPUB_NO_NATIVE'] = '1';
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env['SMOOTHPUB_NO_NATIVE'];
    else process.env['SMOOTHPUB_NO_NATIVE'] = saved;
  }
}
