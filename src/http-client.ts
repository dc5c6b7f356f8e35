/**
 * Outbound HTTP for the IdP: a `fetch`-shaped function on an undici keep-alive
 * Agent, for openid-client's `customFetch`. It skips the global `fetch` (web
 * streams per body) and reuses connections to the token and userinfo endpoints.
 */
import { Agent, request } from 'undici';
import type { CustomFetch } from 'openid-client';

export interface HttpClient {
  readonly fetch: CustomFetch;
  /** GETs a JSON document (discovery, JWKS). */
  getJson(url: string, timeoutMs: number): Promise<unknown>;
  close(): Promise<void>;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** Creates the IdP HTTP client. */
export function createHttpClient(opts: { timeoutMs: number; connections?: number }): HttpClient {
  const dispatcher = new Agent({
    connections: opts.connections ?? 64,
    keepAliveTimeout: 30_000,
    connect: { timeout: opts.timeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });

  const customFetch: CustomFetch = async (url, options) => {
    const body = options.body instanceof URLSearchParams ? options.body.toString() : options.body;
    const res = await request(url, {
      method: options.method as 'GET',
      headers: options.headers,
      body: body as string | Uint8Array | null | undefined,
      signal: options.signal,
      dispatcher,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else headers.set(name, value);
    }
    const payload = await res.body.arrayBuffer();
    return new Response(NULL_BODY_STATUS.has(res.statusCode) ? null : payload, { status: res.statusCode, headers });
  };

  return {
    fetch: customFetch,
    async getJson(url, timeoutMs) {
      const res = await request(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new Error(`GET ${url} answered HTTP ${res.statusCode}`);
      }
      return res.body.json();
    },
    close: () => dispatcher.close(),
  };
}
