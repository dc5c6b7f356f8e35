/**
 * A login started on a host other than PUBLIC_URL's is sent to the same path
 * and query on PUBLIC_URL first, so that its login cookie is set where the
 * callback looks for it. The target is always PUBLIC_URL's origin and the
 * route's own path; a tile's POST keeps its body (307); health, metrics and the
 * callback are not redirected; a proxy that rewrites Host cannot make a loop.
 */
import net from 'node:net';
import t from 'tap';
import { isPublicHost, SENT_TO_PUBLIC_URL_COOKIE } from '../../src/routes/public-host.js';
import { build, NOWHERE } from '../helpers/build.js';
import { WITH_ENTRA } from '../helpers/config.js';
import { startDemoStack, signInWithForm } from '../helpers/stack.js';

const CHANNEL = 'nex9tHPKdBkD_fAfbuUPABg%3d%3d';
const LOGIN_COOKIE = /^cbx_tx_/;

t.test('isPublicHost compares as browsers compare origins', async (t) => {
  const https = new URL('https://bridge.example.com');
  for (const host of ['bridge.example.com', 'BRIDGE.Example.COM', 'bridge.example.com:443', 'bridge.example.com:'])
    t.equal(isPublicHost(host, https), true, `${host} is PUBLIC_URL's host`);
  for (const host of [
    'bridge.example.com:80',
    'bridge.example.com:8443',
    'bridge.example.com.',
    'other.example.com',
    'bridge.example.com@evil.example',
    'evil.example/bridge.example.com',
    'bridge.example.com/',
    'bridge.example.com\\x',
    'bridge.example.com x',
    '[::1',
    'bridge.example.com:99999',
  ])
    t.equal(isPublicHost(host, https), false, `${host} is another host`);
  t.equal(isPublicHost('', https), undefined, 'no Host: nothing to compare');

  const http = new URL('http://127.0.0.1:3000');
  t.equal(isPublicHost('127.0.0.1:3000', http), true);
  t.equal(isPublicHost('127.0.0.1', http), false, 'the default port is not 3000');
  t.equal(isPublicHost('localhost:3000', http), false);
  t.equal(isPublicHost('bridge.example.com:80', new URL('http://bridge.example.com')), true, 'http: 80 is the default');
  const v6 = new URL('http://[::1]:3000');
  for (const host of ['[::1]:3000', '[0:0:0:0:0:0:0:1]:3000', '[0::1]:3000'])
    t.equal(isPublicHost(host, v6), true, `${host} is [::1]:3000`);
  t.equal(isPublicHost('[::2]:3000', v6), false);
  t.equal(isPublicHost('::1:3000', v6), false, 'an IPv6 address without brackets');
});

t.test(
  '/login, /login/<idp>, /initiate and /chat on another host: the same path and query on PUBLIC_URL',
  async (t) => {
    const { app, logs, bridge } = await build(t, {
      COMMBOX_CHAT_URL: `${NOWHERE}/chat`,
      COMMBOX_CHAT_CHANNELS: CHANNEL,
      RATE_LIMIT_MAX: '0',
      ...WITH_ENTRA,
      IDP_ENTRA_ISSUER: `${NOWHERE}/entra`,
    });
    const started = async () => (await bridge.metrics.loginsStarted.get()).values.reduce((n, v) => n + v.value, 0);
    for (const [url, to] of [
      ['/login', 'http://127.0.0.1:3000/login'],
      [
        '/login?login_hint=a%40b.example&x=%2F%2Fevil.example',
        'http://127.0.0.1:3000/login?login_hint=a%40b.example&x=%2F%2Fevil.example',
      ],
      ['/login/entra?a=1', 'http://127.0.0.1:3000/login/entra?a=1'],
      ['/login/', 'http://127.0.0.1:3000/login'],
      [
        '/initiate?iss=http%3A%2F%2F127.0.0.1%3A1&target_link_uri=http%3A%2F%2F127.0.0.1%3A3000%2Flogin',
        'http://127.0.0.1:3000/initiate?iss=http%3A%2F%2F127.0.0.1%3A1&target_link_uri=http%3A%2F%2F127.0.0.1%3A3000%2Flogin',
      ],
      [`/chat/${CHANNEL}?q=1`, `http://127.0.0.1:3000/chat/${CHANNEL}?q=1`],
    ] as const) {
      for (const host of ['localhost:3000', 'evil.example', '127.0.0.1:3001']) {
        const r = await app.inject({ url, headers: { host } });
        t.equal(r.statusCode, 302, `${host} ${url}: redirected`);
        t.equal(r.headers.location, to, `${host} ${url}: to PUBLIC_URL, never to the request's host`);
        const cookies = r.cookies.map((c) => c.name);
        t.notOk(
          cookies.some((n) => LOGIN_COOKIE.test(n)),
          'no login cookie on the wrong host',
        );
        t.same(cookies, [SENT_TO_PUBLIC_URL_COOKIE]);
      }
    }
    const head = await app.inject({ method: 'HEAD', url: '/login?a=1', headers: { host: 'localhost:3000' } });
    t.equal(head.statusCode, 302, 'HEAD too');
    t.equal(head.headers.location, 'http://127.0.0.1:3000/login?a=1');
    t.equal(await started(), 0, 'a redirect is no login started');
    t.match(
      logs.find((e) => e['event'] === 'public_url_redirect'),
      { level: 30, host: '"localhost:3000"', path: '/login' },
    );
    t.equal(logs.entries.filter((e) => e['event'] === 'public_url_host_rewritten').length, 0);

    // Refusals on any host stay refusals: nothing to redirect to.
    t.equal((await app.inject({ url: '/login/nobody', headers: { host: 'localhost' } })).statusCode, 404);
    t.equal((await app.inject({ url: '/chat/other', headers: { host: 'localhost' } })).statusCode, 403);
    t.equal((await app.inject({ url: '//evil.example/login', headers: { host: 'localhost' } })).statusCode, 404);
  },
);

t.test(
  "a tile's POST /initiate is sent on with 307: the same method and body, nothing copied into the URL",
  async (t) => {
    const { app } = await build(t, { RATE_LIMIT_MAX: '0' });
    const form = 'iss=http%3A%2F%2F127.0.0.1%3A1&login_hint=alice%40example.com';
    const r = await app.inject({
      method: 'POST',
      url: '/initiate',
      headers: { host: 'localhost:3000', 'content-type': 'application/x-www-form-urlencoded' },
      payload: form,
    });
    t.equal(r.statusCode, 307);
    t.equal(r.headers.location, 'http://127.0.0.1:3000/initiate');
    t.match(r.headers['set-cookie'], /SameSite=Lax/, 'http PUBLIC_URL: Lax (None needs Secure)');
    const bad = await app.inject({
      method: 'POST',
      url: '/initiate',
      headers: { host: 'localhost:3000', 'content-type': 'text/plain' },
      payload: 'x',
    });
    t.equal(bad.statusCode, 415, 'a form the route refuses is refused on any host');
  },
);

t.test("on PUBLIC_URL's host, in any spelling, the login starts here", async (t) => {
  const { app } = await build(t, { RATE_LIMIT_MAX: '0' });
  for (const host of ['127.0.0.1:3000', '127.0.0.1:03000']) {
    const r = await app.inject({ url: '/login', headers: { host } });
    t.equal(r.statusCode, 503, `Host ${host}: not redirected, the login starts (its IdP is unreachable here)`);
  }
  // A request without Host: the real HTTP test below (an HTTP/1.0 request).
});

t.test(
  'an https PUBLIC_URL: the default port written or not, case; its cookie Secure, SameSite=None; a path prefix kept',
  async (t) => {
    const { app } = await build(t, { PUBLIC_URL: 'https://Bridge.Example.com/sso/', RATE_LIMIT_MAX: '0' });
    for (const host of ['bridge.example.com', 'BRIDGE.EXAMPLE.COM:443'])
      t.equal((await app.inject({ url: '/login', headers: { host } })).statusCode, 503, `${host}: not redirected`);
    const r = await app.inject({ url: '/login?a=1', headers: { host: 'bridge.example.com:8443' } });
    t.equal(r.statusCode, 302);
    t.equal(r.headers.location, 'https://bridge.example.com/sso/login?a=1');
    t.match(r.headers['set-cookie'], /^cbx_public_url=1; Max-Age=30; Path=\/; HttpOnly; Secure; SameSite=None$/);
  },
);

t.test('the host as Fastify sees it: X-Forwarded-Host only from a proxy in TRUST_PROXY', async (t) => {
  const forwarded = { host: 'bridge-svc:3000', 'x-forwarded-host': '127.0.0.1:3000' };
  const trusted = await build(t, { TRUST_PROXY: '127.0.0.1', RATE_LIMIT_MAX: '0' });
  t.equal(
    (await trusted.app.inject({ url: '/login', headers: forwarded })).statusCode,
    503,
    'a trusted proxy: its X-Forwarded-Host',
  );
  const other = await trusted.app.inject({ url: '/login', headers: forwarded, remoteAddress: '192.0.2.7' });
  t.equal(other.statusCode, 302, 'a client that is not the proxy: its Host, whatever X-Forwarded-Host says');
  const untrusted = await build(t, { RATE_LIMIT_MAX: '0' });
  t.equal(
    (await untrusted.app.inject({ url: '/login', headers: forwarded })).statusCode,
    302,
    'no TRUST_PROXY: the Host',
  );
  const spoofed = await untrusted.app.inject({
    url: '/login',
    headers: { host: '127.0.0.1:3000', 'x-forwarded-host': 'evil.example' },
  });
  t.equal(spoofed.statusCode, 503, 'an X-Forwarded-Host of no trusted proxy changes nothing');
});

t.test('health and the callback are not redirected; the callback keeps its cookie page', async (t) => {
  const { app } = await build(t);
  const other = { host: 'localhost:3000' };
  t.equal((await app.inject({ url: '/healthz', headers: other })).statusCode, 200);
  t.equal((await app.inject({ url: '/', headers: other })).statusCode, 200, 'the landing page');
  const callback = await app.inject({ url: '/callback?state=abc&code=x', headers: other });
  t.equal(callback.statusCode, 400);
  t.match(callback.body, /\(login_cookie_missing\)/);
});

t.test(
  'a proxy that rewrites Host: the browser, sent once, is not sent again (no loop), and it is said once',
  async (t) => {
    const { app, logs } = await build(t, { RATE_LIMIT_MAX: '0' });
    const rewritten = { host: 'bridge-svc:3000', cookie: `${SENT_TO_PUBLIC_URL_COOKIE}=1` };
    for (let i = 0; i < 2; i++) {
      const r = await app.inject({ url: '/login', headers: rewritten });
      t.equal(r.statusCode, 503, 'the login goes on here, as before the redirect existed');
    }
    const said = logs.entries.filter((e) => e['event'] === 'public_url_host_rewritten');
    t.equal(said.length, 1, 'said once');
    t.match(said[0], {
      level: 40,
      host: '"bridge-svc:3000"',
      publicHost: '127.0.0.1:3000',
      msg: /proxy_set_header Host \$host/,
    });
    t.equal(
      (await app.inject({ url: '/login', headers: { host: 'bridge-svc:3000' } })).statusCode,
      302,
      'without the mark: sent',
    );
    const lookalike = {
      host: 'bridge-svc:3000',
      cookie: `x${SENT_TO_PUBLIC_URL_COOKIE}=1; a=${SENT_TO_PUBLIC_URL_COOKIE}=1`,
    };
    t.equal(
      (await app.inject({ url: '/login', headers: lookalike })).statusCode,
      302,
      'a cookie that only looks like it: sent',
    );
    const among = { host: 'bridge-svc:3000', cookie: `a=1;${SENT_TO_PUBLIC_URL_COOKIE}=1` };
    t.equal((await app.inject({ url: '/login', headers: among })).statusCode, 503, 'the mark among other cookies');
  },
);

t.test('real HTTP: a login started on another host name completes, its cookie set on PUBLIC_URL', async (t) => {
  const s = await startDemoStack({ env: { ALLOWED_GROUPS: 'commbox-agents' } });
  t.teardown(() => s.close());
  const port = new URL(s.base).port;
  const b = s.browser();
  const first = await b.fetch(`${s.base}/login?login_hint=alice`, { headers: { host: `LocalHost:${port}` } });
  t.equal(first.status, 302);
  t.equal(first.location, `${s.base}/login?login_hint=alice`);
  t.notOk(
    first.setCookies.some((c) => LOGIN_COOKIE.test(c)),
    'no login cookie on the other host',
  );
  const r = await signInWithForm(b, first.location!, 'alice', s.sandbox.loginUrl);
  t.ok(r.stoppedAt, 'the login completes in CommBox');
  t.equal(s.ticketRequests(), 1);

  // HTTP/1.0 without Host: nothing says which host the browser is on; not redirected.
  const raw = await new Promise<string>((ok, no) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end('GET /login HTTP/1.0\r\n\r\n'));
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('end', () => ok(data));
    socket.on('error', no);
  });
  t.match(raw, /^HTTP\/1\.1 302 /);
  t.match(raw, new RegExp(`\r\nlocation: ${s.idp.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'i'), 'to the IdP');
});
