/**
 * The IdP's HTTP client: a keep-alive dispatcher towards the IdP behind the `fetch` shape openid-client
 * and jose call (also used for Microsoft Graph), every request under OIDC_TIMEOUT_MS.
 */
import type { ProxySettings } from '../config/parse.js';
import { inSpan, withTraceHeaders } from '../observability/tracing.js';
import { createDispatcher } from './proxy.js';
import { requestTarget, send, type HttpAnswer } from './send.js';

/** What openid-client and jose call to reach the IdP: the WHATWG `fetch` shape, on our dispatcher. */
export type IdpFetch = (
  url: string,
  options: { method?: string; headers?: unknown; body?: unknown; signal?: AbortSignal | null; redirect?: string },
) => Promise<Response>;

export interface HttpClient {
  /** `fetch` over the keep-alive Agent towards the IdP, honouring the caller's abort signal (openid-client and jose set one per request). */
  readonly fetch: IdpFetch;
  close(): Promise<void>;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** Creates the IdP HTTP client (also used for Microsoft Graph). */
export function createHttpClient(opts: {
  timeoutMs: number;
  connections?: number;
  proxy?: ProxySettings | undefined;
}): HttpClient {
  const dispatcher = createDispatcher(opts.proxy, {
    connections: opts.connections ?? 64,
    keepAliveTimeout: 30_000,
    connect: { timeout: opts.timeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });

  const customFetch: IdpFetch = async (url, options) => {
    const body = options.body instanceof URLSearchParams ? options.body.toString() : options.body;
    const target = new URL(url);
    const method = options.method ?? 'GET';
    // A client span per request (token, userinfo, JWKS, Graph), its traceparent sent
    // along; its attributes are the host and path, never the query.
    const res = await inSpan(
      `${method} ${target.host}`,
      {
        'http.request.method': method,
        'server.address': target.hostname,
        'server.port': Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
        'url.path': target.pathname,
      },
      async (span): Promise<HttpAnswer> => {
        const answer = await send(
          dispatcher,
          {
            ...requestTarget(target),
            method,
            headers: withTraceHeaders(options.headers) as Record<string, string>,
            body: body as string | Uint8Array | null | undefined,
          },
          // The total deadline is ours (OIDC_TIMEOUT_MS); a signal the library adds is honoured too.
          { signal: options.signal ?? undefined, timeoutMs: opts.timeoutMs },
        );
        span.set({ 'http.response.status_code': answer.status });
        if (answer.status >= 400) span.fail({ name: `HTTP ${answer.status}` });
        return answer;
      },
      'client',
    );
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else headers.set(name, value);
    }
    return new Response(NULL_BODY_STATUS.has(res.status) ? null : res.body, { status: res.status, headers });
  };

  return { fetch: customFetch, close: () => dispatcher.close() };
}
