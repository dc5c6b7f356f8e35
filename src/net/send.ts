/**
 * One outbound request on undici's public API: {@link send} collects a whole, size-capped answer under
 * a total deadline (CommBox, the IdP libraries' `fetch`, Microsoft Graph, check-config).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

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
