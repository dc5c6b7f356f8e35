/**
 * A reverse proxy for tests, as an ingress controller or a load balancer is one
 * hop: it listens on 127.0.0.1, connects to its target from the local address it
 * is given (so the target can tell it from the clients), and appends the
 * address of whoever connected to it to `X-Forwarded-For`, as nginx's
 * `$proxy_add_x_forwarded_for` does. What the client sent is kept in front,
 * forged or not. `forwardAs` writes the client otherwise: Azure Application
 * Gateway writes `IP:port` (the client's source port).
 */
import http from 'node:http';
import type net from 'node:net';

// Connection-level headers are not forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

export interface ReverseProxy {
  /** Where clients reach the proxy. */
  readonly url: string;
  /** Where it forwards to (an origin); may be set after start, once the target listens. */
  target: string | undefined;
  /** The `X-Forwarded-For` of every request it forwarded, in order. */
  readonly forwardedFor: string[];
  close(): Promise<void>;
}

/** How the proxy writes its client into X-Forwarded-For, from the client's address and source port. */
export type ForwardAs = (address: string, port: number) => string;

/** Writes the client as `IP:port` (IPv6 as `[IP]:port`), as Azure Application Gateway does. */
export const withPort: ForwardAs = (address, port) =>
  address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;

/** Starts a reverse proxy that connects to its target from `localAddress` (a loopback address such as 127.0.0.3). */
export async function startReverseProxy({
  localAddress,
  target,
  forwardAs = (address) => address,
}: {
  localAddress: string;
  target?: string;
  forwardAs?: ForwardAs;
}): Promise<ReverseProxy> {
  const forwardedFor: string[] = [];
  let origin = target;
  const server = http.createServer((req, res) => {
    if (origin === undefined) return void res.writeHead(502).end('no target');
    const headers = { ...req.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    const previous = req.headers['x-forwarded-for'];
    const client = forwardAs(req.socket.remoteAddress ?? '', req.socket.remotePort ?? 0);
    headers['x-forwarded-for'] = previous === undefined || previous === '' ? client : `${String(previous)}, ${client}`;
    forwardedFor.push(headers['x-forwarded-for']);
    const to = new URL(req.url ?? '/', origin);
    // A connection of its own per request (agent: false), from the proxy's address.
    const upstream = http.request(to, { method: req.method, headers, localAddress, agent: false }, (answer) => {
      const out = { ...answer.headers };
      for (const h of HOP_BY_HOP) delete out[h];
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    get target() {
      return origin;
    },
    set target(value) {
      origin = value;
    },
    forwardedFor,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
