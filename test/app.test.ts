/**
 * What every answer of the app carries: pages, JSON on request, headers, limits.
 */
import t from 'tap';
import { referenceId } from '../src/app.js';
import { build, NOWHERE } from './helpers/build.js';
import { startHostileStack } from './helpers/stack.js';

t.test('landing page, health, 404, JSON errors, headers', async (t) => {
  const { app, logs } = await build(t);

  const home = await app.inject('/');
  t.equal(home.statusCode, 200);
  t.match(home.headers['content-type'], /^text\/html; charset=utf-8/);
  t.match(home.body, /<html lang="en">/);
  t.match(home.body, /<title>Open CommBox<\/title>/);
  t.match(home.body, /<a class="button" href="http:\/\/127\.0\.0\.1:3000\/login">Open CommBox<\/a>/);
  t.notMatch(home.body, /<script|https?:\/\/(?!127\.0\.0\.1)/, 'no scripts, no external assets');
  t.match(home.headers['content-security-policy'], /default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
  t.equal(home.headers['x-content-type-options'], 'nosniff');
  t.equal(home.headers['cache-control'], 'no-store');
  t.equal(home.headers['referrer-policy'], 'no-referrer');
  t.equal(home.headers['strict-transport-security'], undefined, 'no HSTS over http');

  const health = await app.inject('/healthz');
  t.equal(health.statusCode, 200);
  t.same(JSON.parse(health.body), { status: 'ok' }, 'alive, and no version banner on the public port');

  const missing = await app.inject('/nope?code=secret');
  t.equal(missing.statusCode, 404);
  t.match(missing.body, /Page not found/);
  t.match(missing.body, /Reference: <code>[0-9a-f]{16}<\/code>/);

  const json = await app.inject({ url: '/callback?state=x', headers: { accept: 'application/json' } });
  t.equal(json.statusCode, 400);
  t.match(json.headers['content-type'], /^application\/json/);
  const body = JSON.parse(json.body) as Record<string, string>;
  t.match(body, {
    error: 'login_cookie_missing',
    title: String,
    message: /login cookie/,
    action: String,
    reference: /^[0-9a-f]{16}$/,
  });
  t.ok(
    logs.find((e) => e['reqId'] === body['reference']),
    'the reference is in the log',
  );
});

t.test('the style hash in the CSP matches the inline style', async (t) => {
  const { app } = await build(t);
  const home = await app.inject('/');
  const style = /<style>([\s\S]*?)<\/style>/.exec(home.body)![1]!;
  const { createHash } = await import('node:crypto');
  t.match(home.headers['content-security-policy'], `'sha256-${createHash('sha256').update(style).digest('base64')}'`);
});

t.test('oversized and malformed requests get a page, not a stack trace', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const big = await s.browser().fetch(`${s.base}/initiate`, {
    method: 'POST',
    body: `iss=${'x'.repeat(20000)}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(big.status, 413);
  t.match(big.body, /Reference/);
  const odd = await s.browser().fetch(`${s.base}/initiate`, {
    method: 'POST',
    body: '{"iss":1}',
    headers: { 'content-type': 'application/json' },
  });
  t.equal(odd.status, 415);
  t.notMatch(odd.body, /at .*\.ts:\d+|Error:/);
  const headers = await s.browser().fetch(`${s.base}/login`, { headers: { cookie: `x=${'a'.repeat(20_000)}` } });
  t.equal(headers.status, 431, 'oversized headers are refused');
  t.match(headers.headers['content-type'], /^text\/html/, 'with the page, not a JSON fragment');
  t.equal(headers.headers['cache-control'], 'no-store');
  const reference = /Reference: <code>([0-9a-f]{16})<\/code>/.exec(headers.body)?.[1];
  t.ok(reference, 'the page shows a reference');
  t.match(
    s.logs.find((e) => e['reqId'] === reference),
    { check: 'request.headers_too_large', status: 431, reason: 'bad_request' },
    'and the log line carries it',
  );
  const typ = await s
    .browser()
    .fetch(`${s.base}/initiate`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
  t.equal(typ.status, 415);
  t.match(typ.body, /Bad request/);
});

t.test('HSTS and __Host- cookies when PUBLIC_URL is https', async (t) => {
  const s = await startHostileStack({ env: { PUBLIC_URL: 'https://localhost:8443' } });
  t.teardown(() => s.close());
  s.idp.redirectUris = ['https://localhost:8443/callback'];
  // As the TLS proxy in front passes it on: PUBLIC_URL's Host.
  const hop = await s.browser().fetch(`${s.base}/login`, { headers: { host: 'localhost:8443' } });
  t.equal(hop.status, 302);
  t.match(hop.headers['strict-transport-security'], /max-age=31536000/);
  t.match(hop.setCookies[0], /^__Host-cbx_tx_[0-4]=[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  t.equal(new URL(hop.location!).searchParams.get('redirect_uri'), 'https://localhost:8443/callback');
});

t.test("a malformed URL gets the bridge's 400 page, its headers and a log line with the reference", async (t) => {
  const { app, logs } = await build(t, { COMMBOX_CHAT_URL: `${NOWHERE}/chat`, COMMBOX_CHAT_CHANNELS: '*' });
  for (const path of ['/%zz', '/chat/%zz', '/chat/%c3%28', '/login/%E0%A4%A', `/chat/${'a'.repeat(600)}`]) {
    const r = await app.inject(path);
    t.equal(r.statusCode, path.includes('aaaa') ? 414 : 400, `${path.slice(0, 20)}: status`);
    t.match(r.headers['content-type'], /^text\/html; charset=utf-8/, `${path.slice(0, 20)}: an HTML page`);
    t.match(r.body, /<h1>Bad request<\/h1>/);
    t.notMatch(r.body, /FST_ERR|statusCode/, "not Fastify's raw JSON");
    t.equal(r.headers['cache-control'], 'no-store');
    t.match(r.headers['content-security-policy'], /default-src 'none'/);
    t.equal(r.headers['x-frame-options'], 'DENY');
    t.equal(r.headers['x-content-type-options'], 'nosniff');
    const ref = /Reference: <code>([0-9a-f]{16})<\/code> \(bad_request\)/.exec(r.body)?.[1];
    t.ok(ref, 'a reference');
    t.match(
      logs.find((e) => e['reqId'] === ref),
      { reason: 'bad_request', detail: /cannot be decoded/ },
      'the reference is the log line',
    );
  }
  const json = await app.inject({ url: '/%zz', headers: { accept: 'application/json' } });
  t.equal(json.statusCode, 400);
  t.match(json.headers['content-type'], /^application\/json/);
  t.match(JSON.parse(json.body), { error: 'bad_request', reference: /^[0-9a-f]{16}$/ }, 'JSON when asked');
});

t.test('reference IDs: 16 hex characters, all different', async (t) => {
  const ids = Array.from({ length: 10_000 }, referenceId);
  t.ok(
    ids.every((id) => /^[0-9a-f]{16}$/.test(id)),
    'the format pages and logs show',
  );
  t.equal(new Set(ids).size, ids.length, 'no repeats in 10,000');
  // The UUID's version and variant digits are left out: every position varies.
  for (let i = 0; i < 16; i++) t.ok(new Set(ids.map((id) => id[i])).size > 8, `position ${i} is random`);
});

t.test('ALLOW_ANY_AUTHENTICATED is said at start-up: loudly without a rule, as a no-op beside one', async (t) => {
  const open = await build(t, { ALLOW_ANY_AUTHENTICATED: 'true' });
  t.match(
    open.logs.find((e) => e['event'] === 'allow_any_authenticated'),
    {
      level: 40,
      idp: 'default',
      rules: 'none',
      msg: /everyone this IdP signs in gets a CommBox ticket/,
    },
  );
  const ruled = await build(t, { ALLOW_ANY_AUTHENTICATED: 'true', ALLOWED_GROUPS: 'commbox-agents' });
  t.match(
    ruled.logs.find((e) => e['event'] === 'allow_any_authenticated'),
    { rules: 'set', msg: /changes nothing/ },
  );
  const closed = await build(t, { ALLOW_ANY_AUTHENTICATED: 'false', ALLOWED_GROUPS: 'commbox-agents' });
  t.equal(
    closed.logs.find((e) => e['event'] === 'allow_any_authenticated'),
    undefined,
  );
});

t.test(
  'PUBLIC_URL https without TRUST_PROXY: a warning at start-up (a TLS proxy in front would be every client)',
  async (t) => {
    const proxied = await build(t, { PUBLIC_URL: 'https://bridge.example.com' });
    t.match(
      proxied.logs.find((e) => e['event'] === 'trust_proxy_unset'),
      {
        level: 40,
        msg: /^PUBLIC_URL is https and TRUST_PROXY is unset: the bridge speaks plain HTTP, so something terminates TLS in front of it; without TRUST_PROXY every client is that proxy: one rate-limit bucket and one failed-login budget for everyone, and the audit ip is the proxy's\. Set TRUST_PROXY/,
      },
    );
    const trusted = await build(t, { PUBLIC_URL: 'https://bridge.example.com', TRUST_PROXY: '10.42.0.0/16' });
    t.equal(
      trusted.logs.find((e) => e['event'] === 'trust_proxy_unset'),
      undefined,
    );
    const plain = await build(t);
    t.equal(
      plain.logs.find((e) => e['event'] === 'trust_proxy_unset'),
      undefined,
      'http: maybe no proxy at all',
    );
  },
);

t.test('X-Forwarded-For while TRUST_PROXY is unset: one warning, not one per request', async (t) => {
  const { app, logs } = await build(t);
  const warnings = () => logs.entries.filter((e) => e['event'] === 'x_forwarded_for_ignored');
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  t.equal(warnings().length, 0, 'not without the header');
  for (let i = 0; i < 3; i++) await app.inject({ url: '/healthz', headers: { 'x-forwarded-for': `198.51.100.${i}` } });
  t.equal(warnings().length, 1, 'once');
  t.match(warnings()[0], {
    level: 40,
    ip: '127.0.0.1',
    msg: /X-Forwarded-For and TRUST_PROXY is unset: the header is ignored/,
  });

  const trusted = await build(t, { TRUST_PROXY: '10.42.0.0/16' });
  await trusted.app.inject({ url: '/healthz', headers: { 'x-forwarded-for': '198.51.100.1' } });
  t.equal(
    trusted.logs.entries.filter((e) => e['event'] === 'x_forwarded_for_ignored').length,
    0,
    'with TRUST_PROXY it is heeded',
  );
});
