/**
 * A trace export that fails is counted and logged (at most once a minute),
 * never silently dropped; the log line carries the error, never a header.
 * The receiver refuses (401, 500); a receiver that is unreachable is retried by
 * the exporter for up to its 10 s timeout before it fails the same way.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import t from 'tap';
import type { TracingSettings } from '../../src/config/parse.js';
import { createLogger } from '../../src/observability/log.js';
import {
  EXPORT_FAILURE_LOG_INTERVAL_MS,
  EXPORT_FAILURES_METRIC,
  reportingExporter,
} from '../../src/observability/span-export.js';
import { startTracing, stopTracing, tracer } from '../../src/observability/tracing.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { LogCapture } from '../helpers/stack.js';

const OTLP_TOKEN = 'otlp-bearer-token-5f6e7d8c9b0a1f2e3d4c';
const receiver = await startOtlpReceiver();
const registry = new Registry();
const logs = new LogCapture();
// No secret given to the logger to hide: the token must not reach it at all.
const log = createLogger({ level: 'info', secrets: [], destination: logs, format: 'json' });
const settings: TracingSettings = {
  tracesUrl: `${receiver.url}/v1/traces`,
  headers: { authorization: `Bearer ${OTLP_TOKEN}`, 'x-api-key': OTLP_TOKEN },
  serviceName: 'bridge-under-test',
  resourceAttributes: {},
  sampler: 'always_on',
  samplerRatio: 1,
};
await startTracing(settings, { registry, log });
t.teardown(async () => {
  await stopTracing().catch(() => {});
  await receiver.close();
});

/** One server span ended and its batch exported now (a failed export rejects the flush: ignored here). */
async function exportOne(): Promise<void> {
  tracer()!.serverSpan('GET /login', undefined, {}).end(302);
  await tracer()!
    .flush()
    .catch(() => {});
}
const failures = async () => (await registry.getSingleMetric(EXPORT_FAILURES_METRIC)!.get()).values[0]?.value;
const failureLines = () => logs.entries.filter((e) => e['event'] === 'trace_export_failed');

t.test('an accepted export is no failure', async (t) => {
  await exportOne();
  t.equal(receiver.spans().length, 1, 'exported');
  t.equal(await failures(), 0, 'the counter exists at 0');
  t.same(failureLines(), []);
});

t.test('a receiver that refuses (401, then 500): counted each time, logged once, no header in the line', async (t) => {
  receiver.status = 401;
  await exportOne();
  await exportOne();
  receiver.status = 500;
  await exportOne();
  t.equal(receiver.headers.at(-1)?.['authorization'], `Bearer ${OTLP_TOKEN}`, 'the receiver got the header');
  t.equal(await failures(), 3, 'each failed batch counted');
  const lines = failureLines();
  t.equal(lines.length, 1, 'one line in the minute');
  t.match(lines[0], { level: 40, detail: 'Unauthorized', status: 401, spans: 1 }, 'a warning with the error');
  t.notOk(logs.text.includes(OTLP_TOKEN), 'no header value in any log line');
  receiver.status = 200;
});

t.test('the log line is repeated at most once a minute', async (t) => {
  let now = 0;
  const warned: unknown[] = [];
  const refusing: SpanExporter = {
    export: (_spans, done) => done({ code: ExportResultCode.FAILED, error: new Error('Service Unavailable') }),
    shutdown: async () => {},
  };
  const exporter = reportingExporter(
    refusing,
    { registry: new Registry(), log: { warn: (o: unknown) => void warned.push(o) } as never },
    () => now,
  );
  const results: number[] = [];
  const send = () => exporter.export([], (r) => void results.push(r.code));
  send();
  now += EXPORT_FAILURE_LOG_INTERVAL_MS - 1;
  send();
  t.equal(warned.length, 1, 'not again within the minute');
  now += 1;
  send();
  t.equal(warned.length, 2, 'again once the minute is over');
  t.same(results, [1, 1, 1], 'the result is passed on as it was');
  t.match(warned[0], { event: 'trace_export_failed', detail: 'Service Unavailable', spans: 0 });
});
