/**
 * The floor for bench/server-latency.ts: the least any forwarder can add on this machine. A bare
 * pass-through proxy in its own process (node:http, keep-alive upstream, no checks, no signing,
 * no parsing): the request goes to BARE_PROXY_UPSTREAM as received (headers, Host included, so
 * the caller's signature still holds) and the answer comes back as received. Not for any other
 * use: it forwards anything to anything.
 */
import { Agent, createServer, request } from 'node:http';

const upstream = new URL(process.env.BARE_PROXY_UPSTREAM ?? '');
// Idle sockets close before the emulator's 5 s keep-alive timeout does (as server/secmaster/transport.ts),
// so a request never lands on a socket the other side is closing.
const agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 4_000 });

const server = createServer((req, res) => {
  const out = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', () => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`bare proxy on ${typeof address === 'object' && address ? address.port : '?'}`);
});
process.once('SIGTERM', () => process.exit(0));
