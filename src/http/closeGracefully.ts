import type { Server } from 'node:http';

/**
 * Stops `server` as service managers expect on SIGTERM: no new connections; idle
 * kept-alive connections closed at once; responses in flight finish, each connection
 * closed as soon as it is idle; whatever is still open after `graceMs` is cut.
 * Resolves when every connection is gone.
 */
export async function closeGracefully(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) {
    server.closeAllConnections();
    return;
  }
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A connection whose response just finished is idle now; close() alone would wait for its keep-alive timeout.
  const sweep = setInterval(() => server.closeIdleConnections(), 25);
  const cut = setTimeout(() => server.closeAllConnections(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(cut);
  }
}
