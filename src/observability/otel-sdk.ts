/**
 * The OpenTelemetry SDK behind tracing.ts: loaded by its dynamic import only
 * when traces are on. Spans go in batches to the OTLP/HTTP receiver (JSON);
 * the W3C trace context propagator reads `traceparent` inbound and writes it
 * outbound. No global is registered: the bridge's spans are its own, made on
 * this provider and this context manager, and no library instruments itself
 * through the global API behind the bridge's back.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import type { TracingSettings } from '../config/parse.js';
import {
  failureAttributes,
  NO_SPAN,
  type ServerSpan,
  type SpanAttributes,
  type SpanKind as Kind,
  type StepSpan,
  type Tracer,
} from './spans.js';
import { reportingExporter, type ExportReport } from './span-export.js';
import { BRIDGE_VERSION } from './version.js';

const KINDS: Record<Kind, SpanKind> = {
  internal: SpanKind.INTERNAL,
  client: SpanKind.CLIENT,
  server: SpanKind.SERVER,
};

/** The sampler an `OTEL_TRACES_SAMPLER` value names. */
export function sampler(name: TracingSettings['sampler'], ratio: number): Sampler {
  const root = name.endsWith('always_off')
    ? new AlwaysOffSampler()
    : name.endsWith('traceidratio')
      ? new TraceIdRatioBasedSampler(ratio)
      : new AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/** Reads the one inbound header the bridge continues: `traceparent` (never `tracestate`). */
const traceparentGetter: TextMapGetter<{ readonly traceparent: string }> = {
  keys: () => ['traceparent'],
  get: (carrier, key) => (key === 'traceparent' ? carrier.traceparent : undefined),
};

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => void (carrier[key] = value),
};

const clean = (attributes: SpanAttributes): Attributes => {
  const out: Attributes = {};
  for (const k in attributes) if (attributes[k] !== undefined) out[k] = attributes[k];
  return out;
};

const stepSpan = (span: Span): StepSpan => ({
  set: (attributes) => void span.setAttributes(clean(attributes)),
  fail: (error) => {
    const { attributes, message } = failureAttributes(error);
    span.setAttributes(attributes);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  },
});

/** Starts the SDK: a provider exporting in batches to `settings.tracesUrl`, a failed batch told to `report`. */
export function createTracer(settings: TracingSettings, report: ExportReport): Tracer {
  const exporter = reportingExporter(
    new OTLPTraceExporter({ url: settings.tracesUrl, headers: { ...settings.headers } }),
    report,
  );
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        ...settings.resourceAttributes,
        'service.name': settings.serviceName,
        'service.version': BRIDGE_VERSION,
      }),
    ),
    sampler: sampler(settings.sampler, settings.samplerRatio),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const contexts = new AsyncLocalStorageContextManager().enable();
  const propagator = new W3CTraceContextPropagator();
  const otel = provider.getTracer('commbox-sso-bridge', BRIDGE_VERSION);

  const start = (name: string, kind: Kind, attributes: SpanAttributes, parent: Context) =>
    otel.startSpan(name, { kind: KINDS[kind], attributes: clean(attributes) }, parent);

  return {
    async span(name, kind, attributes, work) {
      const parent = contexts.active();
      // Outside a login (discovery, its retries, readiness's key fetches) a request is no trace of its own.
      if (trace.getSpan(parent) === undefined) return work(NO_SPAN);
      const span = start(name, kind, attributes, parent);
      const step = stepSpan(span);
      try {
        return await contexts.with(trace.setSpan(parent, span), () => work(step));
      } catch (e) {
        step.fail(e);
        throw e;
      } finally {
        span.end();
      }
    },
    serverSpan(name, traceparent, attributes): ServerSpan {
      // No tracestate is read, so none is written outbound either.
      const parent =
        traceparent === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, { traceparent }, traceparentGetter);
      const span = start(name, 'server', attributes, parent);
      const context = trace.setSpan(parent, span);
      let ended = false;
      let failed = false;
      const step = stepSpan(span);
      return {
        set: (attributes) => step.set(attributes),
        fail(error) {
          failed = true;
          step.fail(error);
        },
        run: (work) => contexts.with(context, work),
        end(status) {
          if (ended) return;
          ended = true;
          span.setAttribute('http.response.status_code', status);
          // A server span fails on 5xx only (OpenTelemetry's HTTP conventions), or when a refusal marked it.
          if (status >= 500 && !failed) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
          span.end();
        },
      };
    },
    inject(headers) {
      propagator.inject(contexts.active(), headers, headerSetter);
    },
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      contexts.disable();
    },
  };
}
