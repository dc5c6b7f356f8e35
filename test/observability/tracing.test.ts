/**
 * Traces end to end: the bridge of the real test stack (oidc-provider IdP, the
 * CommBox sandbox, Redis) with tracing on, exporting to a local OTLP receiver.
 * One tracer for the file: tracing is the process's, as in server.ts.
 */
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import t from 'tap';
import type { TracingSettings } from '../../src/config/parse.js';
import { inSpan, startTracing, stopTracing, tracer, withTraceHeaders } from '../../src/observability/tracing.js';
import { startOtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';
import { startRedis } from '../helpers/redis.js';
import { COOKIE_SECRET, signInWithForm, startDemoStack } from '../helpers/stack.js';

const OTLP_KEY = 'otlp-api-key-0b1c2d3e4f5a6b7c8d9e';
const receiver = await startOtlpReceiver();
const settings: TracingSettings = {
  tracesUrl: `${receiver.url}/v1/traces`,
  headers: { 'x-api-key': OTLP_KEY },
  serviceName: 'bridge-under-test',
  resourceAttributes: { 'deployment.environment.name': 'test' },
  sampler: 'parentbased_always_on',
  samplerRatio: 1,
};
await startTracing(settings, { registry: new Registry(), log: { warn: () => {} } });
const redis = await startRedis();
// What the IdP received: each request's path and traceparent.
const atIdp: { path: string; traceparent: string | undefined }[] = [];
const s = await startDemoStack({
  // The test client connects from 127.0.0.1: here it is the trusted proxy whose traceparent is continued.
  env: { REDIS_URL: redis.url, TRUST_PROXY: '127.0.0.1' },
  idp: {
    onRequest: (req) => void atIdp.push({ path: req.url ?? '', traceparent: req.headers.traceparent?.toString() }),
  },
});
t.teardown(async () => {
  await s.close();
  await stopTracing();
  await receiver.close();
  await redis.stop();
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** The spans exported so far (the batch exported now, whole, before this returns). */
async function exported(): Promise<ReceivedSpan[]> {
  await tracer()!.flush();
  return receiver.spans();
}
const one = (spans: ReceivedSpan[], pred: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan => {
  const found = spans.filter(pred);
  if (found.length !== 1) throw new Error(`${found.length} spans ${what}: ${spans.map((x) => x.name).join(', ')}`);
  return found[0]!;
};
const parseTraceparent = (v: string | undefined) => {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(v ?? '');
  return m ? { traceId: m[1]!, spanId: m[2]! } : undefined;
};

// One full login, its /login continuing the intranet's trace.
const inboundTrace = hex(16);
const inboundParent = hex(8);
const browser = s.browser();
const login = await signInWithForm(browser, `${s.base}/login`, 'alice', s.sandbox.loginUrl, {
  headers: { traceparent: `00-${inboundTrace}-${inboundParent}-01`, tracestate: 'intranet=1' },
});
const loginSpans = await exported();
const loginSpansRaw = receiver.bodies.join('\n');

t.test('a login is traced: the callback, its steps and the outbound requests in one trace', async (t) => {
  t.ok(login.stoppedAt, 'the login reached CommBox');
  const spans = loginSpans;
  const callback = one(spans, (x) => x.name === 'GET /callback', 'for the callback');
  t.equal(callback.kind, 2, 'a server span');
  t.equal(callback.attributes['http.response.status_code'], 302);
  t.equal(callback.attributes['bridge.idp'], 'default');
  t.match(callback.attributes['bridge.reference'], /^[0-9a-f]{16}$/);
  t.equal(callback.resource['service.name'], 'bridge-under-test');
  t.equal(callback.resource['deployment.environment.name'], 'test');
  const inTrace = spans.filter((x) => x.traceId === callback.traceId);
  const childOf = (parent: ReceivedSpan, name: string | RegExp) =>
    one(
      inTrace,
      (x) => x.parentSpanId === parent.spanId && (typeof name === 'string' ? x.name === name : name.test(x.name)),
      `named ${String(name)} under ${parent.name}`,
    );
  const token = childOf(callback, 'oidc.token');
  const tokenHttp = childOf(token, /^POST 127\.0\.0\.1:\d+$/);
  t.equal(tokenHttp.kind, 3, 'the token request is a client span');
  t.equal(tokenHttp.attributes['http.response.status_code'], 200);
  t.match(tokenHttp.attributes['url.path'], /token/);
  const ticket = childOf(callback, 'commbox.ticket');
  const attempt = childOf(ticket, 'commbox.ticket.attempt');
  t.equal(attempt.attributes['http.response.status_code'], 200);
  t.equal(attempt.attributes['bridge.commbox.attempt'], 1);
  const replay = childOf(callback, 'redis replay.set_once');
  t.equal(replay.attributes['db.system.name'], 'redis');
  // The rate limit runs before the server span starts (a refused request has none): its Redis count is not traced.
  t.notOk(
    inTrace.some((x) => x.name === 'redis rate_limit.count'),
    'the rate limit is counted before the span',
  );
  t.ok(
    inTrace.some((x) => x.name === 'redis login_budget.count'),
    'the failed-login budget counted in Redis',
  );
  for (const x of inTrace) t.not(x.status.code, 2, `${x.name} did not fail`);

  // The IdP and CommBox were told the trace.
  const tokenAtIdp = atIdp.filter((r) => /token/.test(r.path) && r.traceparent !== undefined);
  t.equal(tokenAtIdp.length, 1, 'the token request carried a traceparent');
  t.same(parseTraceparent(tokenAtIdp[0]?.traceparent), { traceId: callback.traceId, spanId: tokenHttp.spanId });
  const atCommbox = s.sandbox.requests.at(-1)!;
  t.same(parseTraceparent(atCommbox.traceparent), { traceId: callback.traceId, spanId: attempt.spanId });
});

t.test('a request outside a login (discovery and its retries) is no trace of its own', async (t) => {
  const headers: Record<string, string>[] = [];
  await inSpan('outside-a-login', {}, async () => void headers.push(withTraceHeaders({})), 'client');
  t.notOk(
    (await exported()).some((x) => x.name === 'outside-a-login'),
    'not exported',
  );
  t.same(headers, [{}], 'no traceparent sent');
});

t.test("a login's /login continues the caller's trace (W3C traceparent)", async (t) => {
  const start = one(loginSpans, (x) => x.name === 'GET /login', 'for /login');
  t.equal(start.traceId, inboundTrace);
  t.equal(start.parentSpanId, inboundParent);
  t.equal(start.kind, 2);
  t.equal(start.attributes['http.response.status_code'], 302);
});

t.test('a refusal: its span carries the reason, the check and the reference, with status error', async (t) => {
  receiver.bodies.length = 0;
  const before = s.ticketRequests();
  const b = s.browser();
  // A forged code with this browser's real state: the IdP's token endpoint refuses it.
  const start = await b.fetch(`${s.base}/login`);
  const state = new URL(start.location!).searchParams.get('state')!;
  const res = await b.fetch(
    `${s.base}/callback?code=forged-code-123456&state=${state}&iss=${encodeURIComponent(s.idp.issuer)}`,
    { headers: { accept: 'application/json' } },
  );
  const answer = JSON.parse(res.body) as { error: string; reference: string };
  const logged = s.logs.find((e) => e['reason'] === answer.error && e['check'] !== undefined);
  t.ok(logged, 'the refusal was logged with its check');
  t.ok(res.status >= 400, `refused with ${res.status}`);
  t.equal(s.ticketRequests(), before, 'no ticket was requested');
  const spans = await exported();
  const refused = one(spans, (x) => x.name === 'GET /callback', 'for the refused callback');
  t.equal(refused.status.code, 2, 'status error');
  t.equal(refused.attributes['bridge.refusal.reason'], answer.error);
  t.equal(refused.attributes['bridge.refusal.check'], logged?.['check'], 'the check that refused');
  t.equal(refused.attributes['bridge.reference'], answer.reference);
  t.equal(refused.attributes['http.response.status_code'], res.status);
  // The step that refused says so too, inside the same trace.
  const token = one(spans, (x) => x.name === 'oidc.token' && x.traceId === refused.traceId, 'for the token step');
  t.equal(token.status.code, 2);
  t.equal(token.attributes['bridge.refusal.reason'], answer.error);
});

t.test('no secret, code, token, ticket or cookie value is in anything exported', async (t) => {
  const raw = receiver.bodies.join('\n') + loginSpansRaw;
  const callbackUrl = new URL(login.hops.find((h) => h.url.includes('/callback?'))!.url);
  const values = [
    ['client secret', s.env['OIDC_CLIENT_SECRET']!],
    ['CommBox API key', s.sandbox.apiKey],
    ['cookie secret', COOKIE_SECRET],
    ['OTLP header', OTLP_KEY],
    ['authorization code', callbackUrl.searchParams.get('code')!],
    ['state', callbackUrl.searchParams.get('state')!],
    ['ticket', s.sandbox.requests.at(-1)!.ticket!],
    // The bridge's login cookie as it set it, and the IdP's session cookies.
    ...login.hops
      .flatMap((h) => h.setCookies)
      .map((c) => c.slice(c.indexOf('=') + 1).split(';')[0]!)
      .filter((v) => v.length >= 8)
      .map((v, i) => [`cookie ${i}`, v] as [string, string]),
  ] as const;
  t.ok(values.length >= 7);
  for (const [what, value] of values) {
    t.ok(value.length >= 8, `${what} is a real value`);
    t.notOk(raw.includes(value), `the ${what} is not exported`);
  }
  t.notOk(raw.includes('eyJ'), 'no JWT (ID token, access token)');
  t.notOk(/[?&](code|state)=/.test(raw), 'no query');
  t.notOk(raw.includes('alice'), 'no claim value');
  // The receiver got the export header, over its own connection only.
  t.equal(receiver.headers.at(-1)?.['x-api-key'], OTLP_KEY);
});

t.test('a request the rate limit refuses (429) starts no span: a flood is not a flood of spans', async (t) => {
  const limited = await startDemoStack({ env: { RATE_LIMIT_MAX: '2' } });
  t.teardown(() => limited.close());
  await exported();
  receiver.bodies.length = 0;
  const statuses: number[] = [];
  const references: string[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await limited.browser().fetch(`${limited.base}/login`, { headers: { accept: 'application/json' } });
    statuses.push(res.status);
    if (res.status === 429) references.push((JSON.parse(res.body) as { reference: string }).reference);
  }
  t.same(statuses, [302, 302, 429, 429, 429, 429], 'two allowed, then refused');
  const spans = (await exported()).filter((x) => x.name === 'GET /login');
  t.equal(spans.length, 2, 'a span for each allowed request only');
  t.notOk(
    spans.some((x) => references.includes(String(x.attributes['bridge.reference']))),
    'none for a refused one',
  );
});
