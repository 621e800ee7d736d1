import type { Server } from 'node:net';
import { ErrorCode, SmoothpubError } from '../errors.js';

/**
 * `server.listen(port, host)` as a promise; the failures a user causes (a port in use, a
 * privileged port, an address this machine does not have) as SmoothpubErrors naming the
 * host and port and what to do.
 */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(listenError(e, host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export function listenError(e: Error, host: string, port: number): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const at = { host, port };
  switch (code) {
    case 'EADDRINUSE':
      return new SmoothpubError(ErrorCode.PORT_IN_USE, `the port is in use by another program (EADDRINUSE); stop that program, or choose another --port (0 = any free port)`, at, { cause: e });
    case 'EACCES':
    case 'EPERM':
      return new SmoothpubError(ErrorCode.CANNOT_LISTEN, `not allowed to listen on this port (${code}); ports below 1024 need privileges: choose --port 1024 or above`, at, { cause: e });
    case 'EADDRNOTAVAIL':
      return new SmoothpubError(ErrorCode.CANNOT_LISTEN, `the host is not an address of this machine (EADDRNOTAVAIL); use 127.0.0.1, 0.0.0.0 (every interface) or one of this machine's addresses`, at, { cause: e });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new SmoothpubError(ErrorCode.CANNOT_LISTEN, `the host name cannot be resolved (${code}); give an IP address such as 127.0.0.1 or 0.0.0.0`, at, { cause: e });
    case 'EAFNOSUPPORT':
      return new SmoothpubError(ErrorCode.CANNOT_LISTEN, `this machine does not support that address family (EAFNOSUPPORT); use an IPv4 address such as 127.0.0.1`, at, { cause: e });
    default:
      return new SmoothpubError(ErrorCode.CANNOT_LISTEN, `cannot listen: ${code !== undefined ? `${code}: ` : ''}${e.message}`, at, { cause: e });
  }
}
