/**
 * `OTEL_*` variables: a misspelt or unknown one stops the start-up (naming the one meant when one is
 * close); one of OpenTelemetry's that nothing in the bridge reads is named for a start-up warning, not
 * refused (src/config/otel-names.ts, src/config/unknown.ts).
 */
import t from 'tap';
import { processEnvironment } from '../../src/config/environment.js';
import { otelVariablesNotRead } from '../../src/config/otel-names.js';
import { ConfigError } from '../../src/errors.js';
import { parseConfig } from '../../src/config/parse.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';

const problems = (env: Record<string, string>) => configProblems({ ...TWO_IDP_BASE, ...env });

t.test('a near miss of an OTEL_* name is refused, naming the one meant', async (t) => {
  t.same(
    problems({
      OTEL_EXPORTER_OTLP_ENDPIONT: 'http://otel-collector:4318',
      OTEL_TRACES_SAMPLR: 'always_off',
      OTEL_EXPORTER_OTLP_TRACE_ENDPOINT: 'http://otel-collector:4318/v1/traces',
      OTEL_BSP_SCHEDULE_DELAI: '1000',
    }),
    {
      OTEL_EXPORTER_OTLP_ENDPIONT: 'is not an OpenTelemetry variable; did you mean OTEL_EXPORTER_OTLP_ENDPOINT?',
      OTEL_TRACES_SAMPLR: 'is not an OpenTelemetry variable; did you mean OTEL_TRACES_SAMPLER?',
      OTEL_EXPORTER_OTLP_TRACE_ENDPOINT:
        'is not an OpenTelemetry variable; did you mean OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?',
      OTEL_BSP_SCHEDULE_DELAI: 'is not an OpenTelemetry variable; did you mean OTEL_BSP_SCHEDULE_DELAY?',
    },
  );
});

t.test('an OTEL_* name that is no OpenTelemetry variable is refused, saying to remove it', async (t) => {
  t.same(problems({ OTEL_FOO: 'x', otel_service_name: 'bridge', OTEL_SERVICE_NAME_FILE: '/run/name' }), {
    OTEL_FOO:
      "is not an OpenTelemetry variable (neither the bridge's nor one of the specification's): remove it from the environment or the .env file",
    otel_service_name: 'variable names are upper-case: write OTEL_SERVICE_NAME',
    OTEL_SERVICE_NAME_FILE: 'only secrets may be read from a file (_FILE); set OTEL_SERVICE_NAME itself',
  });
});

t.test("the bridge's own OTEL_* variables, the SDK's and the Operator's are accepted", async (t) => {
  t.same(
    problems({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c:4318/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=b',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'c=d',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'bridge',
      OTEL_RESOURCE_ATTRIBUTES: 'team=cc',
      OTEL_TRACES_SAMPLER: 'always_on',
      OTEL_TRACES_SAMPLER_ARG: '1',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_SDK_DISABLED: 'false',
      OTEL_BSP_SCHEDULE_DELAY: '1000',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_LOG_LEVEL: 'debug',
      OTEL_RESOURCE_ATTRIBUTES_POD_NAME: 'bridge-0',
      OTEL_NODE_IP: '10.0.0.1',
    }),
    {},
  );
});

t.test('the configuration error lists every problem at once, OTEL_* ones beside the others', async (t) => {
  try {
    parseConfig({ ...TWO_IDP_BASE, OTEL_TRACES_SAMPLR: 'always_off', OTEL_FOO: 'x', ALLOWED_GROUP: 'agents' });
    t.fail('refused');
  } catch (e) {
    t.ok(e instanceof ConfigError);
    const message = (e as Error).message;
    t.match(message, /\(3 problems\)/);
    t.match(message, /- OTEL_TRACES_SAMPLR: is not an OpenTelemetry variable; did you mean OTEL_TRACES_SAMPLER\?/);
    t.match(message, /- OTEL_FOO: is not an OpenTelemetry variable/);
    t.match(message, /- ALLOWED_GROUP: is not a variable of the bridge; did you mean ALLOWED_GROUPS\?/);
  }
});

t.test('an OpenTelemetry variable nothing reads is named for the warning, not refused', async (t) => {
  const env = {
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'console',
    OTEL_LOG_LEVEL: 'debug',
    OTEL_PROPAGATORS: 'tracecontext,baggage',
    // The JavaScript SDK reads OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT instead.
    OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '16',
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics',
    OTEL_EXPORTER_OTLP_INSECURE: 'true',
  };
  t.same(problems(env), {}, 'not refused');
  t.same(otelVariablesNotRead(env, env), Object.keys(env), 'each named');
});

t.test(
  'what the bridge reads, what the SDK reads from the process environment, and what is already so: no warning',
  async (t) => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_SERVICE_NAME: 'bridge',
      OTEL_BSP_SCHEDULE_DELAY: '1000',
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '64',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '5000',
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/etc/ssl/collector-ca.pem',
      OTEL_PROPAGATORS: ' TraceContext ',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_LOG_LEVEL: '',
      OTEL_NODE_IP: '10.0.0.1',
      HOME: '/home/bridge',
    };
    t.same(otelVariablesNotRead(env, env), []);
  },
);

t.test('a variable the SDK reads, set only in the .env file, is named: the SDK never sees that file', async (t) => {
  const env = { OTEL_BSP_SCHEDULE_DELAY: '1000', OTEL_EXPORTER_OTLP_TIMEOUT: '5000', OTEL_SERVICE_NAME: 'b' };
  t.same(otelVariablesNotRead(env, { OTEL_EXPORTER_OTLP_TIMEOUT: '5000' }), ['OTEL_BSP_SCHEDULE_DELAY']);
  t.equal(processEnvironment(), process.env, 'the process environment is what the SDK reads');
});
