/**
 * The shapes of the bridge's spans, shared by the facade (tracing.ts) and the
 * SDK behind it (otel-sdk.ts), and what a failed step's span may say.
 */
import { BridgeError } from '../errors.js';

/** Attribute values: names, codes and numbers only. */
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** The span of a running step. */
export interface StepSpan {
  set(attributes: SpanAttributes): void;
  /** Marks the step failed (status error), with a refusal's reason and check, or the error's code or name. */
  fail(error: unknown): void;
}

/** The span of a step that is no span: tracing off, or a step outside a login. */
export const NO_SPAN: StepSpan = { set: () => {}, fail: () => {} };

export type SpanKind = 'internal' | 'client' | 'server';

/** A request's server span, started before its handler runs and ended with the answer. */
export interface ServerSpan extends StepSpan {
  /** Runs `work` (the rest of the request: hooks, handler) with this span as the parent of the steps. */
  run<T>(work: () => T): T;
  /** Ends the span with the answer's status (idempotent). */
  end(status: number): void;
}

/** What the SDK side provides (otel-sdk.ts). */
export interface Tracer {
  span<T>(name: string, kind: SpanKind, attributes: SpanAttributes, work: (span: StepSpan) => Promise<T>): Promise<T>;
  /**
   * A server span continuing the trace of `traceparent` (W3C), or the root of a
   * new trace without one (or with an invalid one). The caller decides whose
   * `traceparent` is heeded; a `tracestate` never is (the bridge has no vendor
   * state to carry, and a client's would be forwarded to the IdP and CommBox).
   */
  serverSpan(name: string, traceparent: string | undefined, attributes: SpanAttributes): ServerSpan;
  /** Writes the running span's `traceparent` into `headers`. */
  inject(headers: Record<string, string>): void;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Exports what is left and stops. */
  shutdown(): Promise<void>;
}

/** The attributes of a failure: a refusal's reason and check; else the error's code or name (never its message). */
export function failureAttributes(error: unknown): { attributes: Record<string, string>; message: string } {
  if (error instanceof BridgeError) {
    const attributes: Record<string, string> = { 'bridge.refusal.reason': error.reason };
    if (error.check !== undefined) attributes['bridge.refusal.check'] = error.check;
    return { attributes, message: error.check === undefined ? error.reason : `${error.reason} (${error.check})` };
  }
  const e = error as { code?: unknown; name?: unknown } | null;
  const type = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'error';
  return { attributes: { 'error.type': type }, message: type };
}
