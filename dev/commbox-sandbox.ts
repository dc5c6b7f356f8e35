/**
 * A CommBox sandbox: the Create Ticket API (`POST /auth/ticket`), checked against
 * the OpenAPI contract, and an agent login page that shows who arrived with which
 * ticket (each ticket works once). Used by `npm run demo` and by the tests, where
 * it can also misbehave on demand ({@link Sandbox.fault}).
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { escapeHtml } from '../src/web/html.js';

/** The `data` properties of the Create Ticket request body and their JSON types (OpenAPI 2.07). */
export const TICKET_DATA_SCHEMA: Record<string, 'string' | 'boolean'> = {
  brand: 'string',
  username: 'string',
  email: 'string',
  uniqueId: 'string',
  firstName: 'string',
  lastName: 'string',
  phone1: 'string',
  overrideUserInfo: 'boolean',
  oneTimeUse: 'boolean',
};

/**
 * Checks a request body against the contract; returns the problems (empty: valid).
 * Stricter than the OpenAPI page where CommBox's help article is: `brand` is
 * mandatory, and so is one strong identifier (email, uniqueId or phone1).
 */
export function validateTicketRequest(body: unknown): string[] {
  const problems: string[] = [];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['body is not a JSON object'];
  const extra = Object.keys(body).filter((k) => k !== 'data');
  if (extra.length) problems.push(`unknown top-level properties: ${extra.join(', ')}`);
  const data = (body as { data?: unknown }).data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [...problems, 'data is not an object'];
  for (const [k, v] of Object.entries(data)) {
    const type = TICKET_DATA_SCHEMA[k];
    if (type === undefined) problems.push(`data.${k} is not in the contract`);
    else if (typeof v !== type) problems.push(`data.${k} must be a ${type}`);
    else if (type === 'string' && v === '') problems.push(`data.${k} is empty (leave it out instead)`);
  }
  const d = data as Record<string, unknown>;
  if (typeof d['brand'] !== 'string') problems.push('data.brand is required');
  if (!d['email'] && !d['uniqueId'] && !d['phone1'])
    problems.push('one of data.email, data.uniqueId, data.phone1 is required');
  return problems;
}

/** An agent record of the sandbox brand. */
export interface SandboxAgent {
  username: string;
  email?: string;
  phone1?: string;
}

/** The demo brand's agents (the demo IdP's alice and carol; bob has no agent record). */
/** The chat channel the demo opens (as CommBox shows channel IDs). */
export const DEMO_CHAT_CHANNEL = 'nex9tHPKdBkD_fAfbuUPABg%3d%3d';

export const DEMO_AGENTS: SandboxAgent[] = [
  { username: 'alice', email: 'alice@example.com', phone1: '+442501234567' },
  { username: 'carol', email: 'carol@example.com' },
];

export type SandboxFault =
  | 'none'
  | '429'
  | '429-then-ok'
  | '503-then-ok'
  | '500'
  | '400'
  | '401'
  | 'html'
  | 'truncated'
  | 'no-token'
  | 'hang'
  | 'reset'
  /** A 200 whose body arrives one byte every 100 ms: never silent long enough for an idle timeout. */
  | 'drip';

export interface TicketRecord {
  at: number;
  /** The bridge closed the connection before the (delayed) answer: no ticket was issued for it. */
  abandoned?: boolean;
  authorization: string | undefined;
  contentType: string | undefined;
  /** The W3C trace context the bridge sent (traces on). */
  traceparent: string | undefined;
  /** A `tracestate` (the bridge never sends one: the tests check). */
  tracestate: string | undefined;
  body: unknown;
  problems: string[];
  status: number;
  ticket?: string;
}

export interface Arrival {
  at: number;
  /** `agent` at /login, `chat` at /chat/<channel>. */
  kind: 'agent' | 'chat';
  /** The channel exactly as it arrived in the path (chat only). */
  channel?: string;
  ticket: string;
  accepted: boolean;
  username?: string;
  email?: string;
  why?: string;
}

export interface Sandbox {
  readonly url: string;
  readonly loginUrl: string;
  /** Base of the chat pages: `{chatUrl}/{channel}?ta=`. */
  readonly chatUrl: string;
  readonly brand: string;
  readonly apiKey: string;
  /** The API keys accepted (`apiKey` at first): a key rotation adds the new one, then revokes the old. */
  readonly apiKeys: Set<string>;
  /** Every ticket request, in order. */
  readonly requests: TicketRecord[];
  readonly arrivals: Arrival[];
  /** Misbehaviour of the API; `failures` counts down for the `*-then-ok` faults. */
  fault: SandboxFault;
  failures: number;
  /** Milliseconds each ticket request waits before it is answered (a slow CommBox); 0: at once. */
  delayMs: number;
  /** Ticket format: `plain`, or `percent` (ends in `%3d%3d`, as CommBox's own example). */
  ticketStyle: 'plain' | 'percent';
  /** CommBox's SSO setting "Block Ticket Authentication Login when SSO is enabled": every ticket request refused. */
  ssoBlocksTickets: boolean;
  close(): Promise<void>;
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** The base URL browsers use, when it is not `http://host:port`. */
  publicUrl?: string;
  brand?: string;
  apiKey?: string;
  /** When given, tickets are issued only for these agents, and email/phone must match. */
  agents?: SandboxAgent[];
  /** CommBox's "IP white-list for API access": when given, requests from other addresses are refused. */
  apiAllowList?: string[];
  /**
   * How each refusal is answered, as the documented error JSON. CommBox documents the statuses
   * (400, 401, 404, 429, 500), not which case gets which: these defaults are the sandbox's choice.
   */
  refusals?: Partial<Record<SandboxRefusal, { status: number; description: string }>>;
}

/** The refusals of a ticket request the sandbox models besides its faults. */
export type SandboxRefusal = 'apiKey' | 'ipNotAllowed' | 'brand' | 'agent' | 'ssoBlocksTickets';

const DEFAULT_REFUSALS: Record<SandboxRefusal, { status: number; description: string }> = {
  apiKey: { status: 401, description: 'Unauthorized' },
  ipNotAllowed: { status: 401, description: 'Unauthorized' },
  brand: { status: 404, description: 'Not Found' },
  agent: { status: 404, description: 'Not Found' },
  ssoBlocksTickets: { status: 400, description: 'Bad Request' },
};

const now = () => new Date().toISOString();

/** Starts the sandbox. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const brand = opts.brand ?? 'demo';
  const apiKey = opts.apiKey ?? 'sandbox-api-key-0123456789';
  const issued = new Map<string, { used: boolean; data: Record<string, unknown> }>();
  const sockets = new Set<import('node:net').Socket>();
  const sb = {
    requests: [] as TicketRecord[],
    arrivals: [] as Arrival[],
    fault: 'none' as SandboxFault,
    failures: 0,
    delayMs: 0,
    ticketStyle: 'plain' as 'plain' | 'percent',
    ssoBlocksTickets: false,
    apiKeys: new Set([apiKey]),
  };
  const refusals = { ...DEFAULT_REFUSALS, ...opts.refusals };
  // The peer as CommBox sees it: an IPv4 client of a dual-stack socket is ::ffff:a.b.c.d.
  const peer = (req: http.IncomingMessage) => (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const err = (res: http.ServerResponse, status: number, description: string, headers?: http.OutgoingHttpHeaders) =>
    json(res, status, { status, description, response_time: now() }, headers);

  function ticketApi(req: http.IncomingMessage, res: http.ServerResponse, raw: string) {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const rec: TicketRecord = {
      at: Date.now(),
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      traceparent: req.headers.traceparent?.toString(),
      tracestate: req.headers.tracestate?.toString(),
      body,
      problems: [],
      status: 0,
    };
    sb.requests.push(rec);
    if (sb.delayMs > 0) {
      let closed = false;
      res.on('close', () => (closed = true));
      setTimeout(() => {
        if (closed) rec.abandoned = true;
        else answerTicket(req, res, body, rec);
      }, sb.delayMs);
      return;
    }
    answerTicket(req, res, body, rec);
  }

  function answerTicket(req: http.IncomingMessage, res: http.ServerResponse, body: unknown, rec: TicketRecord) {
    const answer = (status: number, description: string, headers?: http.OutgoingHttpHeaders) => {
      rec.status = status;
      err(res, status, description, headers);
    };
    if (sb.fault === 'hang') return;
    if (sb.fault === 'reset') return void req.socket.destroy();
    const refuse = (why: SandboxRefusal) => answer(refusals[why].status, refusals[why].description);
    if (opts.apiAllowList && !opts.apiAllowList.includes(peer(req))) return refuse('ipNotAllowed');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer === undefined || !sb.apiKeys.has(bearer) || sb.fault === '401') return refuse('apiKey');
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
      rec.problems.push('content-type is not application/json');
    rec.problems.push(...(body === undefined ? ['body is not JSON'] : validateTicketRequest(body)));
    if (rec.problems.length) return answer(400, 'Bad Request');
    const data = (body as { data: Record<string, unknown> }).data;
    if (data['brand'] !== brand) return refuse('brand');
    if (sb.ssoBlocksTickets) return refuse('ssoBlocksTickets');
    if (opts.agents && data['username'] !== undefined) {
      const agent = opts.agents.find((a) => a.username === data['username']);
      const matches =
        agent &&
        (data['email'] === undefined || data['email'] === agent.email) &&
        (data['phone1'] === undefined || data['phone1'] === agent.phone1);
      if (!matches) return refuse('agent');
    }
    if (sb.failures > 0 && (sb.fault === '429-then-ok' || sb.fault === '503-then-ok')) {
      sb.failures--;
      return sb.fault === '429-then-ok'
        ? answer(429, 'Too Many Requests', { 'retry-after': '1' })
        : answer(503, 'Service Unavailable');
    }
    switch (sb.fault) {
      case '429':
        return answer(429, 'Too Many Requests', { 'retry-after': '1' });
      case '500':
        return answer(500, 'Internal Server Error');
      case '400':
        return answer(400, 'Bad Request');
      case 'html':
        rec.status = 502;
        res.writeHead(502, { 'content-type': 'text/html' });
        return void res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      case 'truncated':
        rec.status = 200;
        return json(res, 200, '{"status":"200","data":{"encpry');
      case 'no-token':
        rec.status = 200;
        return json(res, 200, { status: '200', description: 'Operation successful', response_time: now(), data: {} });
      case 'drip': {
        rec.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' });
        const body = JSON.stringify({ status: '200', data: { encpryptedString: 'x'.repeat(600) } });
        let i = 0;
        const timer = setInterval(
          () => (i < body.length ? res.write(body[i++]!) : (clearInterval(timer), res.end())),
          100,
        );
        res.on('close', () => clearInterval(timer));
        return;
      }
    }
    let ticket = randomBytes(48).toString('base64').replace(/\//g, '_f').replace(/\+/g, '_p');
    ticket = sb.ticketStyle === 'percent' ? ticket.replace(/=/g, '%3d') : ticket.replace(/=+$/, '');
    if (sb.ticketStyle === 'percent' && !ticket.endsWith('%3d')) ticket += '%3d%3d';
    issued.set(ticket, { used: false, data });
    rec.status = 200;
    rec.ticket = ticket;
    json(res, 200, {
      status: '200',
      description: 'Operation successful',
      response_time: now(),
      data: { encpryptedString: ticket },
    });
  }

  function loginPage(url: URL, res: http.ServerResponse, channel?: string) {
    const kind = channel === undefined ? 'agent' : 'chat';
    // The raw query value: the ticket must arrive exactly as issued, escapes included.
    const m = /(?:^|&)ta=([^&]*)/.exec(url.search.slice(1));
    const ticket = m?.[1];
    const page = (status: number, title: string, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`,
      );
    };
    if (ticket === undefined) {
      return page(
        200,
        `CommBox sandbox: ${kind === 'agent' ? 'agent login' : `chat ${channel}`}`,
        '<p>No ticket: this is where people would identify themselves.</p>',
      );
    }
    const entry = issued.get(ticket);
    // An agent ticket carries a username, a chat ticket does not.
    const wrongKind = entry !== undefined && (kind === 'agent') !== (typeof entry.data['username'] === 'string');
    if (!entry || entry.used || wrongKind) {
      const why = !entry ? 'unknown' : entry.used ? 'already used' : `not a ${kind} ticket`;
      sb.arrivals.push({ at: Date.now(), kind, channel, ticket, accepted: false, why });
      return page(401, 'CommBox sandbox: ticket refused', `<p>This ticket is ${escapeHtml(why)}.</p>`);
    }
    entry.used = true;
    const d = entry.data;
    sb.arrivals.push({
      at: Date.now(),
      kind,
      channel,
      ticket,
      accepted: true,
      username: d['username'] as string,
      email: d['email'] as string,
    });
    const rows = Object.entries(d)
      .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
      .join('');
    const who = String(d['username'] ?? d['email'] ?? d['uniqueId']);
    const title =
      kind === 'agent' ? `CommBox sandbox: signed in as ${who}` : `CommBox sandbox: chat ${channel} opened for ${who}`;
    page(200, title, `<p>Ticket accepted (one-time use).</p><table>${rows}</table>`);
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      raw += c;
      if (raw.length > 65536) req.destroy();
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      if (url.pathname === '/auth/ticket' && req.method === 'POST') return ticketApi(req, res, raw);
      if (url.pathname === '/login' && req.method === 'GET') return loginPage(url, res);
      const chat = /^\/chat\/([^/]+)$/.exec(url.pathname);
      if (chat && req.method === 'GET') return loginPage(url, res, chat[1]);
      err(res, 404, 'Not Found');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const url = opts.publicUrl ?? `http://${opts.host ?? '127.0.0.1'}:${port}`;
  return Object.assign(sb, {
    url,
    loginUrl: `${url}/login`,
    chatUrl: `${url}/chat`,
    brand,
    apiKey,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  });
}
