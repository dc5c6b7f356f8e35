/**
 * A small HTTP "browser": a cookie jar that honours Path, Max-Age and Expires,
 * and redirect walking, over undici. Enough to drive the login flow for real.
 */
import { request, Agent } from 'undici';

export const dispatcher = new Agent({ keepAliveTimeout: 1000, connections: 32 });

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expires: number;
}

export interface Hop {
  method: string;
  url: string;
  status: number;
  location: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  setCookies: string[];
}

export class CookieJar {
  readonly #byHost = new Map<string, StoredCookie[]>();

  store(url: string, setCookie: string | string[] | undefined): void {
    if (!setCookie) return;
    const u = new URL(url);
    const list = this.#byHost.get(u.host) ?? [];
    for (const line of ([] as string[]).concat(setCookie)) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = '/';
      let expires = Infinity;
      for (const a of attrs) {
        const [k = '', v = ''] = a.split('=').map((s) => s.trim());
        if (/^path$/i.test(k)) path = v || '/';
        if (/^max-age$/i.test(k)) expires = Date.now() + Number(v) * 1000;
        if (/^expires$/i.test(k) && expires === Infinity) expires = Date.parse(a.slice(a.indexOf('=') + 1));
      }
      const i = list.findIndex((c) => c.name === name && c.path === path);
      if (i !== -1) list.splice(i, 1);
      if (expires > Date.now() && value !== '') list.push({ name, value, path, expires });
    }
    this.#byHost.set(u.host, list);
  }

  header(url: string): string | undefined {
    const u = new URL(url);
    const now = Date.now();
    const cookies = (this.#byHost.get(u.host) ?? []).filter(
      (c) =>
        c.expires > now &&
        (u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
    );
    return cookies.length ? cookies.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  names(host: string): string[] {
    return (this.#byHost.get(host) ?? []).map((c) => c.name);
  }

  delete(host: string, predicate: (name: string) => boolean): void {
    this.#byHost.set(
      host,
      (this.#byHost.get(host) ?? []).filter((c) => !predicate(c.name)),
    );
  }

  get(host: string, name: string): string | undefined {
    return this.#byHost.get(host)?.find((c) => c.name === name)?.value;
  }

  set(host: string, name: string, value: string): void {
    const list = (this.#byHost.get(host) ?? []).filter((c) => c.name !== name);
    list.push({ name, value, path: '/', expires: Infinity });
    this.#byHost.set(host, list);
  }
}

export interface BrowserOptions {
  /** Connect from this local address (another loopback address: another client). */
  readonly localAddress?: string;
  /** Headers sent with every request (a forged X-Forwarded-For, say). */
  readonly headers?: Record<string, string>;
}

export class Browser {
  readonly jar = new CookieJar();
  readonly #dispatcher: Agent;
  readonly #headers: Record<string, string>;

  constructor(opts: BrowserOptions = {}) {
    this.#dispatcher =
      opts.localAddress === undefined
        ? dispatcher
        : new Agent({ keepAliveTimeout: 1000, localAddress: opts.localAddress });
    this.#headers = opts.headers ?? {};
  }

  /** Closes this browser's own connections (the shared ones stay). */
  async close(): Promise<void> {
    if (this.#dispatcher !== dispatcher) await this.#dispatcher.close();
  }

  /** One request, cookies in and out. */
  async fetch(
    url: string,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
  ): Promise<Hop> {
    const headers: Record<string, string> = {
      'user-agent': 'test-browser',
      accept: 'text/html',
      ...this.#headers,
      ...init.headers,
    };
    const cookie = this.jar.header(url);
    if (cookie) headers['cookie'] = cookie;
    const method = init.method ?? 'GET';
    const res = await request(url, { method: method as 'GET', headers, body: init.body, dispatcher: this.#dispatcher });
    const body = await res.body.text();
    const setCookie = res.headers['set-cookie'];
    this.jar.store(url, setCookie);
    const location = res.headers['location'];
    return {
      method,
      url,
      status: res.statusCode,
      location: typeof location === 'string' ? new URL(location, url).href : undefined,
      headers: res.headers,
      body,
      setCookies: ([] as string[]).concat(setCookie ?? []),
    };
  }

  /**
   * Follows redirects from `url` until an answer is not a redirect, or a
   * Location starts with `stopAt` (which is not fetched).
   */
  async walk(
    url: string,
    opts: { stopAt?: string; method?: string; body?: string; headers?: Record<string, string>; max?: number } = {},
  ): Promise<{ hops: Hop[]; last: Hop; stoppedAt?: string }> {
    const hops: Hop[] = [];
    let next: string = url;
    let init: { method?: string; body?: string; headers?: Record<string, string> } = {
      method: opts.method,
      body: opts.body,
      headers: opts.headers,
    };
    for (let i = 0; i < (opts.max ?? 15); i++) {
      const hop = await this.fetch(next, init);
      hops.push(hop);
      if (hop.status < 300 || hop.status >= 400 || !hop.location) return { hops, last: hop };
      if (opts.stopAt && hop.location.startsWith(opts.stopAt)) return { hops, last: hop, stoppedAt: hop.location };
      next = hop.location;
      init = {};
    }
    throw new Error(`too many redirects from ${url}`);
  }
}
