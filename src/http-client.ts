/**
 * Outbound HTTP on undici's public API: {@link send} collects a whole, size-capped
 * answer under a total deadline (CommBox, and beneath the `fetch` the IdP
 * libraries use); {@link createHttpClient} is the keep-alive Agent towards the
 * IdP behind a `fetch`-shaped function for openid-client and jose.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, EnvHttpProxyAgent, Pool, type Dispatcher } from 'undici';
import type { ProxySettings } from './config/parse.js';

export { Agent, Pool };

/**
 * The dispatcher of outbound requests: undici's `EnvHttpProxyAgent` when a proxy
 * is configured (HTTP_PROXY, HTTPS_PROXY, NO_PROXY as every HTTP client reads
 * them, passed explicitly: undici must not read the environment itself), else
 * an `Agent`.
 */
export function createDispatcher(proxy: ProxySettings | undefined, options: Agent.Options): Dispatcher {
  if (proxy === undefined) return new Agent(options);
  return new EnvHttpProxyAgent({
    ...options,
    httpProxy: proxy.httpProxy ?? '',
    httpsProxy: proxy.httpsProxy ?? '',
    noProxy: proxy.noProxy ?? '',
  });
}

/** The proxy a request to `url` goes through, for `check-config`; undefined: direct. Mirrors undici's NO_PROXY rules in the common forms. */
export function proxyFor(proxy: ProxySettings | undefined, url: URL): string | undefined {
  if (proxy === undefined) return undefined;
  const chosen = url.protocol === 'https:' ? (proxy.httpsProxy ?? proxy.httpProxy) : proxy.httpProxy;
  if (chosen === undefined) return undefined;
  const host = url.hostname.toLowerCase();
  const port = url.port;
  for (const entry of (proxy.noProxy ?? '').split(/[,\s]+/).filter(Boolean)) {
    if (entry === '*') return undefined;
    const [h = '', p] = entry.toLowerCase().split(':');
    if (p !== undefined && p !== port) continue;
    const bare = h.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return undefined;
  }
  return maskProxy(chosen);
}

/** A proxy URL for a report: its password masked; `(unset)` when there is none. */
export function maskProxy(proxy: string | undefined): string {
  if (proxy === undefined) return '(unset)';
  const u = new URL(proxy);
  return `${u.protocol}//${u.username ? `${u.username}${u.password ? ':***' : ''}@` : ''}${u.host}`;
}

/** What openid-client and jose call to reach the IdP: the WHATWG `fetch` shape, on our dispatcher. */
export type IdpFetch = (
  url: string,
  options: { method?: string; headers?: unknown; body?: unknown; signal?: AbortSignal | null; redirect?: string },
) => Promise<Response>;

/** A whole HTTP answer, its body read as UTF-8 text. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Bodies larger than this are refused: the IdP and CommBox answer a few KiB. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** An answer body over {@link MAX_ANSWER_BYTES}. */
export class AnswerTooLargeError extends Error {
  override name = 'AnswerTooLargeError';
  readonly code = 'ANSWER_TOO_LARGE';
}

/** The `origin` and `path` of a URL, as undici's dispatch options take them. */
export function requestTarget(url: URL): { origin: string; path: string } {
  return { origin: url.origin, path: url.pathname + url.search };
}

/** How {@link send} bounds an answer. */
export interface SendLimits {
  /** Larger bodies are refused ({@link AnswerTooLargeError}). */
  readonly maxBytes?: number;
  /**
   * The total deadline, in milliseconds from the call: when it passes, the
   * request is abandoned wherever it is (queued, connecting, waiting, or reading
   * a dripping answer) and `send` rejects with a `TimeoutError` DOMException,
   * as `AbortSignal.timeout` would. The dispatcher's timeouts are only idle
   * timeouts: an answer that drips a byte at a time never trips them. One timer,
   * cleared with the answer: nothing of the request outlives it.
   */
  readonly timeoutMs?: number;
  /** The caller's own abort signal (openid-client, jose, Graph), honoured the same way, with its reason. */
  readonly signal?: AbortSignal | undefined;
}

/** Why a signal aborted, as an Error (AbortSignal.timeout gives a TimeoutError). */
const abortReason = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new Error('aborted', { cause: signal.reason });

/**
 * Sends one request on `dispatcher` and collects the whole answer. Uses undici's
 * handler API directly: no body stream, no `Response`. Rejects with undici's
 * coded errors, the deadline's `TimeoutError`, or the signal's reason.
 */
export function send(
  dispatcher: Dispatcher,
  opts: Dispatcher.DispatchOptions,
  { maxBytes = MAX_ANSWER_BYTES, timeoutMs, signal }: SendLimits = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    let chunks: Buffer[] = [];
    let size = 0;
    let controller: Dispatcher.DispatchController | undefined;
    let stopped: Error | undefined;
    let timer: NodeJS.Timeout | undefined;
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const stop = (reason: Error) => {
      if (stopped !== undefined) return;
      stopped = reason;
      settle();
      controller?.abort(reason);
      reject(reason);
    };
    const onAbort = () => stop(abortReason(signal!));
    if (timeoutMs !== undefined)
      timer = setTimeout(
        () => stop(new DOMException(`no complete answer within ${timeoutMs} ms`, 'TimeoutError')),
        timeoutMs,
      );
    signal?.addEventListener('abort', onAbort, { once: true });
    dispatcher.dispatch(opts, {
      onRequestStart(c) {
        controller = c;
        // Stopped while queued or connecting: never send it.
        if (stopped !== undefined) c.abort(stopped);
      },
      onResponseStart(_controller, statusCode, responseHeaders) {
        status = statusCode;
        headers = responseHeaders;
        chunks = [];
        size = 0;
      },
      onResponseData(controller, chunk) {
        size += chunk.length;
        if (size > maxBytes) controller.abort(new AnswerTooLargeError(`the answer is larger than ${maxBytes} bytes`));
        else chunks.push(chunk);
      },
      onResponseEnd() {
        if (stopped !== undefined) return;
        settle();
        const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
        resolve({ status, headers, body });
      },
      onResponseError(_controller, error) {
        if (stopped !== undefined) return;
        settle();
        reject(error);
      },
    });
  });
}

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
    const res = await send(
      dispatcher,
      {
        ...requestTarget(new URL(url)),
        method: options.method ?? 'GET',
        headers: options.headers as Record<string, string>,
        body: body as string | Uint8Array | null | undefined,
      },
      // The total deadline is ours (OIDC_TIMEOUT_MS); a signal the library adds is honoured too.
      { signal: options.signal ?? undefined, timeoutMs: opts.timeoutMs },
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

/** TLS verification failures that a corporate TLS-inspecting proxy typically causes. */
export const UNTRUSTED_CERT_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * What failed on the way to a server, and what to check, in one sentence; undefined
 * when the error (or its causes) is not a network or TLS failure. Libraries wrap
 * these errors several times ("something went wrong" around "fetch failed" around
 * "getaddrinfo ENOTFOUND …"): this names the root once.
 */
export function explainNetworkError(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 8; cur = cur.cause, depth++) {
    const err = cur as NodeJS.ErrnoException & { hostname?: string; address?: string; port?: number };
    const code = typeof err.code === 'string' ? err.code : '';
    const where = err.hostname ?? (err.address ? `${err.address}${err.port ? `:${err.port}` : ''}` : undefined);
    const at = where ? ` ${where}` : '';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') {
      return `DNS lookup of${at || ' the host'} failed (${code}): check the host name, the DNS this service uses, and that egress to it is allowed`;
    }
    if (code === 'ECONNREFUSED')
      return `the connection to${at || ' the host'} was refused (ECONNREFUSED): check the URL and port, and that the server is up`;
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET')
      return `the connection was closed by the other side or a proxy (${code}): check egress rules and any proxy on the way`;
    if (
      code === 'ETIMEDOUT' ||
      code === 'ENETUNREACH' ||
      code === 'EHOSTUNREACH' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      return `no connection to${at || ' the host'} (${code}): check that egress from this service to it is allowed (firewall, network policy, proxy)`;
    }
    if (UNTRUSTED_CERT_CODES.has(code)) {
      return `the server's TLS certificate is not trusted (${code}): if a corporate proxy inspects TLS, give its CA certificate with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`;
    }
    if (code === 'CERT_HAS_EXPIRED' || code === 'ERR_TLS_CERT_ALTNAME_INVALID')
      return `the server's TLS certificate is not valid for it (${code}): check the URL's host name, and the certificate`;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || err.name === 'TimeoutError')
      return 'the server did not answer in time: check that it is up and that nothing on the way holds the connection';
  }
  return undefined;
}
