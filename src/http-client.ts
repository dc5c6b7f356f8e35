/**
 * Outbound HTTP: {@link send} collects a whole, size-capped answer straight from
 * undici's handler API (token, userinfo, CommBox); for the IdP, one keep-alive
 * Agent, also behind a `fetch`-shaped function for openid-client's discovery.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { CustomFetch } from 'openid-client';
// The connection pools only: undici's index also loads fetch, WebSocket, the
// cache and proxy agents, a megabyte of code this service never runs (about
// a quarter of its start-up). undici is pinned by the lockfile; the tests and
// the build fail if these paths move.
import Agent from 'undici/lib/dispatcher/agent.js';
import Pool from 'undici/lib/dispatcher/pool.js';

export { Agent, Pool };

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

/**
 * Sends one request on `dispatcher` and collects the whole answer. Uses undici's
 * handler API directly: no body stream, no `Response`, no abort signal per
 * request (the dispatcher's timeouts apply). Rejects with undici's coded errors.
 */
export function send(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, maxBytes = MAX_ANSWER_BYTES): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    let chunks: Buffer[] = [];
    let size = 0;
    dispatcher.dispatch(opts, {
      onRequestStart() {},
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
        const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
        resolve({ status, headers, body });
      },
      onResponseError(_controller, error) {
        reject(error);
      },
    });
  });
}

export interface HttpClient {
  /** The keep-alive dispatcher towards the IdP, for {@link send}. */
  readonly dispatcher: Dispatcher;
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

  // For openid-client's discovery.
  const customFetch: CustomFetch = async (url, options) => {
    const body = options.body instanceof URLSearchParams ? options.body.toString() : options.body;
    const res = await send(dispatcher, {
      ...requestTarget(new URL(url)),
      method: (options.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: options.headers as Record<string, string>,
      body: body as string | Uint8Array | null | undefined,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else headers.set(name, value);
    }
    return new Response(NULL_BODY_STATUS.has(res.status) ? null : res.body, { status: res.status, headers });
  };

  return {
    dispatcher,
    fetch: customFetch,
    async getJson(url, timeoutMs) {
      const res = await send(dispatcher, {
        ...requestTarget(new URL(url)),
        method: 'GET',
        headers: { accept: 'application/json' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      if (res.status !== 200) throw new Error(`GET ${url} answered HTTP ${res.status}`);
      return JSON.parse(res.body) as unknown;
    },
    close: () => dispatcher.close(),
  };
}
