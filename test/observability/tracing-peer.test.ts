/**
 * Whose trace a login continues: an inbound `traceparent` only from a trusted
 * proxy (TRUST_PROXY), never a `tracestate`. Sampled at ratio 0: a client that
 * sends a sampled traceparent must not make its logins traced (nor choose the
 * trace ID the IdP and CommBox are told); the trusted proxy's decision counts.
 * One tracer for the file (tracing is the process's), two bridges: one that
 * trusts no proxy, one that trusts 127.0.0.1, where the test client connects from.
 */
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import t from 'tap';
import type { TracingSettings } from '../../src/config/parse.js';
import { startTracing, stopTracing, tracer } from '../../src/observability/tracing.js';
import { Browser } from '../helpers/browser.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { signInWithForm, startDemoStack } from '../helpers/stack.js';

const receiver = await startOtlpReceiver();
const settings: TracingSettings = {
  tracesUrl: `${receiver.url}/v1/traces`,
  headers: {},
  serviceName: 'bridge-under-test',
  resourceAttributes: {},
  sampler: 'parentbased_traceidratio',
  samplerRatio: 0,
};
await startTracing(settings, { registry: new Registry(), log: { warn: () => {} } });
t.teardown(async () => {
  await stopTracing();
  await receiver.close();
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const traceIdOf = (traceparent: string | undefined) =>
  /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[01]$/.exec(traceparent ?? '')?.[1];

/** A full login through a bridge (TRUST_PROXY as given), every request of the browser carrying a sampled traceparent and a tracestate. */
async function tracedLogin(trustProxy: string | undefined) {
  const atIdp: { path: string; traceparent?: string; tracestate?: string }[] = [];
  const s = await startDemoStack({
    env: trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy },
    idp: {
      onRequest: (req) =>
        void atIdp.push({
          path: req.url ?? '',
          traceparent: req.headers.traceparent?.toString(),
          tracestate: req.headers.tracestate?.toString(),
        }),
    },
  });
  t.teardown(() => s.close());
  const traceId = hex(16);
  const tracestate = `intranet=${hex(8)}`;
  const browser = new Browser({ headers: { traceparent: `00-${traceId}-${hex(8)}-01`, tracestate } });
  receiver.bodies.length = 0;
  const login = await signInWithForm(browser, `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  await tracer()!.flush();
  // The bridge's own requests to the IdP (the token request), not the browser's.
  const tokenAtIdp = atIdp.filter((r) => /token/.test(r.path));
  return { s, login, traceId, tracestate, tokenAtIdp, ticket: s.sandbox.requests.at(-1)!, spans: receiver.spans() };
}

t.test('an untrusted peer: its sampled traceparent neither samples nor names the trace', async (t) => {
  const { login, traceId, tokenAtIdp, ticket, spans } = await tracedLogin(undefined);
  t.ok(login.stoppedAt, 'the login reached CommBox');
  t.same(
    spans.map((x) => x.name),
    [],
    'nothing exported: the root sampler (ratio 0) decided',
  );
  t.equal(tokenAtIdp.length, 1, 'one token request');
  const idpTrace = traceIdOf(tokenAtIdp[0]?.traceparent);
  t.ok(idpTrace, 'the IdP was sent a traceparent');
  t.not(idpTrace, traceId, "the IdP was not told the client's trace ID");
  const commboxTrace = traceIdOf(ticket.traceparent);
  t.ok(commboxTrace, 'CommBox was sent a traceparent');
  t.not(commboxTrace, traceId, "CommBox was not told the client's trace ID");
  t.equal(tokenAtIdp[0]?.tracestate, undefined, 'no tracestate to the IdP');
  t.equal(ticket.tracestate, undefined, 'no tracestate to CommBox');
});

t.test(
  'a trusted proxy: its traceparent is continued (its sampling decision counts), its tracestate is not',
  async (t) => {
    const { login, traceId, tokenAtIdp, ticket, spans } = await tracedLogin('127.0.0.1');
    t.ok(login.stoppedAt, 'the login reached CommBox');
    const callback = spans.find((x) => x.name === 'GET /callback');
    t.equal(callback?.traceId, traceId, "the callback continues the proxy's trace");
    t.ok(
      spans.some((x) => x.name === 'GET /login' && x.traceId === traceId),
      '/login too',
    );
    t.equal(traceIdOf(tokenAtIdp[0]?.traceparent), traceId, 'the IdP is told the trace');
    t.equal(traceIdOf(ticket.traceparent), traceId, 'CommBox is told the trace');
    t.equal(tokenAtIdp[0]?.tracestate, undefined, 'no tracestate to the IdP');
    t.equal(ticket.tracestate, undefined, 'no tracestate to CommBox');
    t.notOk(receiver.bodies.join('').includes('intranet='), 'the tracestate is not exported either');
  },
);
