/**
 * The `OTEL_*` variables that exist. `OTEL_` is OpenTelemetry's namespace, not
 * the bridge's alone: the bridge reads a few of its variables itself (the
 * `OTEL_*` rows of the table), the SDK it builds reads some more, and other
 * programs' SDKs the rest. Without a list of the names that exist, a misspelt
 * one (`OTEL_EXPORTER_OTLP_ENDPIONT`, `OTEL_TRACES_SAMPLR`) would start the
 * bridge with traces off or not as intended, and nothing said. With it, a name
 * outside it is refused (unknown.ts) and one in it that nothing reads is logged
 * at start-up ({@link otelVariablesNotRead}).
 *
 * The names: the OpenTelemetry specification's SDK environment variables
 * (specification/configuration/sdk-environment-variables.md, and the OTLP
 * exporter's in specification/protocol/exporter.md), the JavaScript SDK's own
 * (`OTEL_NODE_*`, its per-event and per-link limits), and those the
 * OpenTelemetry Operator injects into an instrumented pod.
 */
import type { Environment } from './environment.js';
import { VARIABLES } from './table.js';

/** `OTEL_EXPORTER_OTLP_<signal><setting>`, for the signal-less form (`''`) and each signal (`TRACES_`, …). */
const otlp = (signal: string, settings: readonly string[]) => settings.map((s) => `OTEL_EXPORTER_OTLP_${signal}${s}`);
const OTLP_SETTINGS = [
  'ENDPOINT',
  'HEADERS',
  'PROTOCOL',
  'TIMEOUT',
  'COMPRESSION',
  'CERTIFICATE',
  'CLIENT_KEY',
  'CLIENT_CERTIFICATE',
  'INSECURE',
];
const BATCH = ['SCHEDULE_DELAY', 'EXPORT_TIMEOUT', 'MAX_QUEUE_SIZE', 'MAX_EXPORT_BATCH_SIZE'];

/** The span limits the JavaScript SDK reads (the general attribute limits are their fallback). */
const SPAN_LIMITS = [
  'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_SPAN_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_LINK_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT',
  'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT',
];

/** The specification's names, and the JavaScript SDK's. */
const SPEC_VARIABLES = [
  // General SDK configuration.
  'OTEL_SDK_DISABLED',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_SERVICE_NAME',
  'OTEL_LOG_LEVEL',
  'OTEL_PROPAGATORS',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  // Batch span and log record processors.
  ...BATCH.map((s) => `OTEL_BSP_${s}`),
  ...BATCH.map((s) => `OTEL_BLRP_${s}`),
  // Attribute, span and log record limits.
  ...SPAN_LIMITS,
  'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT',
  'OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT',
  'OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT',
  // The OTLP exporter, for every signal and per signal.
  ...['', 'TRACES_', 'METRICS_', 'LOGS_'].flatMap((signal) => otlp(signal, OTLP_SETTINGS)),
  'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION',
  // The other exporters (Jaeger's are deprecated, still set in older manifests).
  'OTEL_EXPORTER_ZIPKIN_ENDPOINT',
  'OTEL_EXPORTER_ZIPKIN_TIMEOUT',
  'OTEL_EXPORTER_ZIPKIN_PROTOCOL',
  'OTEL_EXPORTER_PROMETHEUS_HOST',
  'OTEL_EXPORTER_PROMETHEUS_PORT',
  ...['AGENT_HOST', 'AGENT_PORT', 'ENDPOINT', 'USER', 'PASSWORD', 'TIMEOUT'].map((s) => `OTEL_EXPORTER_JAEGER_${s}`),
  // Exporter selection, metrics.
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_LOGS_EXPORTER',
  'OTEL_METRICS_EXEMPLAR_FILTER',
  'OTEL_METRIC_EXPORT_INTERVAL',
  'OTEL_METRIC_EXPORT_TIMEOUT',
  // Declarative configuration (the experimental name first, then the stable one).
  'OTEL_EXPERIMENTAL_CONFIG_FILE',
  'OTEL_CONFIG_FILE',
  // The JavaScript SDK's and its instrumentations'.
  'OTEL_NODE_RESOURCE_DETECTORS',
  'OTEL_NODE_ENABLED_INSTRUMENTATIONS',
  'OTEL_NODE_DISABLED_INSTRUMENTATIONS',
  'OTEL_SEMCONV_STABILITY_OPT_IN',
];

/**
 * What the OpenTelemetry Operator injects into a pod it instruments, only for
 * `$(…)` in the `OTEL_RESOURCE_ATTRIBUTES` it writes (Kubernetes expands them):
 * no SDK reads them, and they say nothing to warn about.
 */
const OPERATOR_VARIABLES = [
  'OTEL_RESOURCE_ATTRIBUTES_POD_NAME',
  'OTEL_RESOURCE_ATTRIBUTES_POD_UID',
  'OTEL_RESOURCE_ATTRIBUTES_NODE_NAME',
  'OTEL_POD_IP',
  'OTEL_NODE_IP',
];

/** Every `OTEL_*` name that is not a typo: the specification's, the JavaScript SDK's and the Operator's. */
export const OTEL_VARIABLES: ReadonlySet<string> = new Set([...SPEC_VARIABLES, ...OPERATOR_VARIABLES]);

/**
 * Read from the process environment by the SDK parts otel-sdk.ts builds, for
 * what the bridge does not pass them (checked in `@opentelemetry/*` 2.x, the
 * `0.2xx` exporter): the BatchSpanProcessor its `OTEL_BSP_*`; the
 * BasicTracerProvider the span limits (the general ones as their fallback); the
 * OTLPTraceExporter its timeout, compression and TLS files, for every signal and
 * for traces, and `OTEL_EXPORTER_OTLP_HEADERS`/`_TRACES_HEADERS` (the bridge
 * reads both too: its own values win). Only from the process environment: the
 * SDK never sees the `.env` file.
 */
const READ_BY_SDK: ReadonlySet<string> = new Set([
  ...BATCH.map((s) => `OTEL_BSP_${s}`),
  ...SPAN_LIMITS,
  ...['', 'TRACES_'].flatMap((signal) =>
    otlp(signal, ['TIMEOUT', 'COMPRESSION', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE']),
  ),
]);

/** Values that ask for what the bridge does anyway: only W3C trace context propagated; no metrics or logs exported over OTLP. */
const ALREADY_SO: Readonly<Record<string, string>> = {
  OTEL_PROPAGATORS: 'tracecontext',
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
};

/**
 * The OpenTelemetry variables set in `environment` that nothing in the bridge
 * reads: neither the bridge (not in its table) nor the SDK as the bridge builds
 * it (`OTEL_METRICS_EXPORTER`, `OTEL_LOG_LEVEL`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT`,
 * the metrics' and logs' OTLP settings, …), and those the SDK reads but that are
 * set in the `.env` file only (`processEnvironment` has not got them). Names
 * only: start-up logs them as a warning.
 */
export function otelVariablesNotRead(environment: Environment, processEnvironment: Environment): string[] {
  return Object.keys(environment).filter((name) => {
    const value = environment[name]?.trim() ?? '';
    // The specification: an empty value is as unset.
    if (!SPEC_VARIABLES.includes(name) || name in VARIABLES || value === '') return false;
    if (READ_BY_SDK.has(name)) return processEnvironment[name] === undefined;
    const same = ALREADY_SO[name];
    return same === undefined || value.toLowerCase().replace(/\s/g, '') !== same;
  });
}
