/**
 * The bridge's traces, as the layers below see them: a span around a step,
 * and the W3C `traceparent` of the running span for an outbound request. With
 * tracing off (no `OTEL_EXPORTER_OTLP_ENDPOINT`) nothing of OpenTelemetry is
 * loaded and each call is one comparison: {@link inSpan} runs the step as is,
 * {@link withTraceHeaders} returns the headers it was given. With it on,
 * {@link startTracing} loads the SDK (`otel-sdk.ts`) by a dynamic import.
 *
 * What a span may carry is decided here: names and codes (the route, the IdP's
 * name, the reason and check of a refusal, a status, a host and path), never a
 * secret, code, token, ticket, claim value, cookie or query.
 */
import type { TracingSettings } from '../config/parse.js';
import type { ExportReport } from './span-export.js';
import { NO_SPAN, type ServerSpan, type SpanAttributes, type SpanKind, type StepSpan, type Tracer } from './spans.js';

export type { ExportReport, ServerSpan, SpanAttributes, SpanKind, StepSpan, Tracer };

let active: Tracer | undefined;

/** The running tracer; undefined while tracing is off. */
export const tracer = (): Tracer | undefined => active;

/** Runs `work` in a span named `name`, child of the running one; a rejection marks the span failed. */
export function inSpan<T>(
  name: string,
  attributes: SpanAttributes,
  work: (span: StepSpan) => Promise<T>,
  kind: SpanKind = 'internal',
): Promise<T> {
  return active === undefined ? work(NO_SPAN) : active.span(name, kind, attributes, work);
}

/**
 * `headers` (a plain object, a `Headers`, or none) as a copy with the running
 * span's `traceparent`; `headers` itself, untouched, while tracing is off.
 */
export function withTraceHeaders<H>(headers: H): H | Record<string, string> {
  if (active === undefined) return headers;
  const out: Record<string, string> =
    headers instanceof Headers ? Object.fromEntries(headers) : { ...(headers as Record<string, string> | undefined) };
  active.inject(out);
  return out;
}

/** Loads the SDK side; tests pass their own to see when it is called. */
export type SdkLoader = () => Promise<{ createTracer(settings: TracingSettings, report: ExportReport): Tracer }>;

const loadSdk: SdkLoader = () => import('./otel-sdk.js');

/**
 * Starts tracing when `settings` say so (an endpoint is set), loading the SDK
 * then and only then; undefined, and nothing loaded, when they do not. A
 * batch the receiver does not accept is counted on `report.registry` and
 * logged on `report.log` (span-export.ts).
 */
export async function startTracing(
  settings: TracingSettings | undefined,
  report: ExportReport,
  load: SdkLoader = loadSdk,
): Promise<Tracer | undefined> {
  if (settings === undefined) return undefined;
  const sdk = await load();
  active = sdk.createTracer(settings, report);
  return active;
}

/** Exports the spans still buffered and stops tracing (SIGTERM's drain). */
export async function stopTracing(): Promise<void> {
  const stopping = active;
  active = undefined;
  await stopping?.shutdown();
}
