/**
 * Trace export failures made visible. The batch processor drops a batch the
 * receiver refused (401, 500) or never got (closed, timed out) without a word,
 * and the bridge registers no global OpenTelemetry diag logger (it registers
 * nothing global). So the OTLP exporter is wrapped in an exporter of ours that
 * reads each batch's result: a failure counts in
 * `commbox_bridge_trace_export_failures_total` and is logged (`trace_export_failed`)
 * at most once a minute, with the error's message (a network failure
 * explained) and the receiver's HTTP status, never a header nor the answer's body.
 * Loaded with the SDK only (otel-sdk.ts imports it).
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Counter, type Registry } from 'prom-client';
import { describeError } from '../net/network-errors.js';
import { OncePerWindow } from './audit.js';
import type { Logger } from './log.js';

/** Where export failures are reported: the bridge's metrics registry and its logger. */
export interface ExportReport {
  readonly registry: Registry;
  readonly log: Pick<Logger, 'warn'>;
}

export const EXPORT_FAILURES_METRIC = 'commbox_bridge_trace_export_failures_total';
/** At most one log line per this many milliseconds: a receiver that is down fails every batch. */
export const EXPORT_FAILURE_LOG_INTERVAL_MS = 60_000;

/** The counter on `registry` (the same one if a tracer was started on it before). */
function failureCounter(registry: Registry): Counter {
  const existing = registry.getSingleMetric(EXPORT_FAILURES_METRIC);
  if (existing instanceof Counter) return existing;
  return new Counter({
    name: EXPORT_FAILURES_METRIC,
    help: 'Batches of spans the OTLP receiver did not accept (refused, unreachable, timed out): those spans are lost.',
    registers: [registry],
  });
}

/** `exporter`, reporting each batch that failed to `report`. */
export function reportingExporter(
  exporter: SpanExporter,
  report: ExportReport,
  now: () => number = Date.now,
): SpanExporter {
  const failures = failureCounter(report.registry);
  const logged = new OncePerWindow(EXPORT_FAILURE_LOG_INTERVAL_MS, now);
  const failed = (error: Error | undefined, spans: number) => {
    failures.inc();
    if (!logged.first('export')) return;
    // OTLPExporterError: the receiver's status in `code`, its status text as the message.
    const status = (error as { code?: unknown } | undefined)?.code;
    report.log.warn(
      {
        event: 'trace_export_failed',
        detail: error === undefined ? 'export failed' : describeError(error),
        ...(typeof status === 'number' ? { status } : {}),
        spans,
      },
      `traces could not be exported (these spans are lost; counted in ${EXPORT_FAILURES_METRIC}, said at most once a minute)`,
    );
  };
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) failed(result.error, spans.length);
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
