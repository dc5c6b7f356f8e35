/**
 * The OpenTelemetry variables of the "Operations" section: traces on only with
 * an endpoint, the endpoint a URL with its scheme (a typo stops the start-up),
 * the export headers a secret, the SDK's other OTEL_* variables left to it.
 */
import t from 'tap';
import { parseConfig, secretValues } from '../../src/config/parse.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';

const withEnv = (env: Record<string, string>) => parseConfig({ ...TWO_IDP_BASE, ...env });

t.test('configuration: no OTEL endpoint, no traces', async (t) => {
  t.equal(parseConfig(TWO_IDP_BASE).tracing, undefined);
  t.equal(withEnv({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }).tracing, undefined);
});

t.test('configuration: OTEL_EXPORTER_OTLP_ENDPOINT turns traces on, sent to its /v1/traces', async (t) => {
  t.same(withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318/' }).tracing, {
    tracesUrl: 'http://otel-collector:4318/v1/traces',
    headers: {},
    serviceName: 'commbox-sso-bridge',
    resourceAttributes: {},
    sampler: 'parentbased_always_on',
    samplerRatio: 1,
  });
  const c = withEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example.com/otlp/v1/traces',
    OTEL_SERVICE_NAME: 'sso-bridge-eu',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=contact%20centre',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
  }).tracing;
  t.equal(c?.tracesUrl, 'https://tempo.example.com/otlp/v1/traces', 'the traces endpoint wins, as written');
  t.equal(c?.serviceName, 'sso-bridge-eu');
  t.same(c?.resourceAttributes, { 'deployment.environment.name': 'prod', team: 'contact centre' });
  t.equal(c?.sampler, 'parentbased_traceidratio');
  t.equal(c?.samplerRatio, 0.25);
  t.equal(withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).tracing, undefined);
  t.equal(withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing, undefined);
});

t.test('configuration: an endpoint without its scheme stops the start-up, with the value to write', async (t) => {
  t.match(configProblems({ ...TWO_IDP_BASE, OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }), {
    OTEL_EXPORTER_OTLP_ENDPOINT:
      /http:\/\/ or https:\/\/ URL.*scheme written before the host: e\.g\. http:\/\/otel-collector:4318/,
  });
  t.match(configProblems({ ...TWO_IDP_BASE, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'otel-collector' }), {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: /http:\/\/ or https:\/\//,
  });
  t.match(configProblems({ ...TWO_IDP_BASE, OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://c:4317' }), {
    OTEL_EXPORTER_OTLP_ENDPOINT: /http:\/\/ or https:\/\//,
  });
  t.match(configProblems({ ...TWO_IDP_BASE, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), {
    OTEL_EXPORTER_OTLP_PROTOCOL: /OTLP\/HTTP JSON only: write http\/json/,
  });
  t.match(configProblems({ ...TWO_IDP_BASE, OTEL_TRACES_SAMPLER: 'ratio' }), { OTEL_TRACES_SAMPLER: /one of/ });
  t.match(configProblems({ ...TWO_IDP_BASE, OTEL_TRACES_SAMPLER_ARG: '25%' }), {
    OTEL_TRACES_SAMPLER_ARG: /from 0 to 1/,
  });
  t.match(configProblems({ ...TWO_IDP_BASE, OTEL_RESOURCE_ATTRIBUTES: 'team' }), {
    OTEL_RESOURCE_ATTRIBUTES: /not key=value/,
  });
});

t.test('configuration: an endpoint never carries a credential, and a problem never quotes it', async (t) => {
  for (const value of [
    'https://tenant:otlp-pass-0123456789@otlp.example.com',
    'https://otlp-token-0123456789@otlp.example.com',
  ]) {
    const problem = configProblems({ ...TWO_IDP_BASE, OTEL_EXPORTER_OTLP_ENDPOINT: value });
    t.match(problem, {
      OTEL_EXPORTER_OTLP_ENDPOINT: /must not carry a user name or password.*OTEL_EXPORTER_OTLP_HEADERS/,
    });
    t.notMatch(problem['OTEL_EXPORTER_OTLP_ENDPOINT'], /otlp-(pass|token)/, 'the credential is not repeated');
  }
  // Without its scheme, user:token@host parses as a URL of scheme "user:": refused, and not quoted either.
  const schemeless = configProblems({
    ...TWO_IDP_BASE,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'tenant:otlp-pass-0123456789@otlp.example.com',
  });
  t.match(schemeless, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: /http:\/\/ or https:\/\// });
  t.notMatch(schemeless['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'], /otlp-pass/, 'not quoted');
});

t.test('configuration: OTEL_EXPORTER_OTLP_HEADERS (or _FILE) is a secret, never quoted in a problem', async (t) => {
  const c = withEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20otlp-key-0123456789,x-tenant=bank',
  });
  t.same(c.tracing?.headers, { authorization: 'Bearer otlp-key-0123456789', 'x-tenant': 'bank' });
  t.ok(secretValues(c).includes('Bearer otlp-key-0123456789'), 'its values are scrubbed from logs');
  const fromFile = parseConfig(
    { ...TWO_IDP_BASE, OTEL_EXPORTER_OTLP_ENDPOINT: 'https://o', OTEL_EXPORTER_OTLP_HEADERS_FILE: '/run/secrets/otlp' },
    () => 'api-key=from-a-file-0123456789\n',
  );
  t.same(fromFile.tracing?.headers, { 'api-key': 'from-a-file-0123456789' });
  const problem = configProblems({ ...TWO_IDP_BASE, OTEL_EXPORTER_OTLP_HEADERS: 'Bearer sk-live-0123456789' });
  t.match(problem, { OTEL_EXPORTER_OTLP_HEADERS: /not key=value/ });
  t.notMatch(problem['OTEL_EXPORTER_OTLP_HEADERS'], /sk-live/, 'the value is not repeated');
});

t.test('configuration: OTEL_EXPORTER_OTLP_TRACES_HEADERS is a secret too, winning header by header', async (t) => {
  const c = withEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20common-0123456789,x-tenant=bank',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'authorization=Bearer%20traces-0123456789',
  });
  t.same(c.tracing?.headers, { authorization: 'Bearer traces-0123456789', 'x-tenant': 'bank' });
  t.ok(secretValues(c).includes('Bearer traces-0123456789'), 'its values are scrubbed from logs');
  const fromFile = parseConfig(
    {
      ...TWO_IDP_BASE,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://o',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS_FILE: '/run/secrets/otlp-traces',
    },
    () => 'api-key=traces-from-a-file\n',
  );
  t.same(fromFile.tracing?.headers, { 'api-key': 'traces-from-a-file' });
  const problem = configProblems({ ...TWO_IDP_BASE, OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'Bearer sk-live-0123456789' });
  t.match(problem, { OTEL_EXPORTER_OTLP_TRACES_HEADERS: /not key=value/ });
  t.notMatch(problem['OTEL_EXPORTER_OTLP_TRACES_HEADERS'], /sk-live/, 'the value is not repeated');
});

t.test(
  'configuration: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL is refused as the common one is, unless http/json',
  async (t) => {
    t.match(configProblems({ ...TWO_IDP_BASE, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }), {
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: /OTLP\/HTTP JSON only: write http\/json/,
    });
    t.same(configProblems({ ...TWO_IDP_BASE, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }), {});
  },
);

t.test("configuration: the SDK's other OTEL_* variables are not refused as unknown", async (t) => {
  t.same(
    configProblems({
      ...TWO_IDP_BASE,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_BSP_SCHEDULE_DELAY: '1000',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_PROPAGATORS: 'tracecontext',
    }),
    {},
  );
});
