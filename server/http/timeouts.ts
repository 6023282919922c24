/**
 * The console's HTTP server timeouts (server/main.ts passes them to the server it creates).
 *
 * - Slow clients (slowloris) cannot hold a request open for long: headers within 20 s, the whole
 *   request within 60 s, checked every 2 s rather than Node's default 30 s.
 * - An idle keep-alive connection is closed after 30 s, not Node's default 5 s. Node checks that
 *   timer before it reads the socket: when the event loop has been held longer than the timeout
 *   (one synchronous ledger transaction: a 100,000-pair POST /api/batches writes 1,000 batches and
 *   100,000 rows at once, seconds on a busy machine), a request that a client sent on its idle
 *   connection meanwhile is already in the socket, unread, and closing it makes the kernel answer
 *   with a reset: the client sees ECONNRESET for a request the console never saw (the pairs
 *   benchmark's polls, issue 12). 30 s is longer than any hold measured (docs/performance.md)
 *   and shorter than the request timeout.
 */
export const SERVER_TIMEOUTS = {
  headersTimeout: 20_000,
  requestTimeout: 60_000,
  connectionsCheckingInterval: 2_000,
  keepAliveTimeout: 30_000,
} as const;
