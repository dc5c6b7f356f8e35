/**
 * Outbound HTTP: total deadlines, and failures explained once, with what to check.
 */
import t, { type Test } from 'tap';
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { explainNetworkError } from '../../src/net/network-errors.js';
import { proxyFor } from '../../src/net/proxy.js';
import { send } from '../../src/net/send.js';
import { describeError } from '../../src/net/network-errors.js';
import { parseConfig, secretValues } from '../../src/config/parse.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';
import { startProxy } from '../helpers/proxy.js';
import { selfSignedCertificate } from '../helpers/tls.js';
import { freePort, startHostileStack } from '../helpers/stack.js';

/** How openid-client and undici wrap a DNS failure. */
function wrapped(code: string, extra: Record<string, unknown> = {}): Error {
  const root = Object.assign(new Error(`getaddrinfo ${code} idp.corp.example`), {
    code,
    hostname: 'idp.corp.example',
    ...extra,
  });
  const fetchFailed = new TypeError('fetch failed', { cause: root });
  return Object.assign(new Error('something went wrong', { cause: fetchFailed }), { code: 'OAUTH_SOMETHING' });
}

t.test('a DNS failure wrapped three times is said once, with what to check', async (t) => {
  const text = describeError(wrapped('ENOTFOUND'));
  t.equal(
    text,
    'DNS lookup of idp.corp.example failed (ENOTFOUND): check the host name, the DNS this service uses, and that egress to it is allowed',
  );
  t.notMatch(text, /something went wrong|fetch failed/);
  t.match(describeError(wrapped('EAI_AGAIN')), /DNS lookup .* \(EAI_AGAIN\)/);
  t.match(describeError(wrapped('ETIMEDOUT')), /no connection to idp\.corp\.example \(ETIMEDOUT\): check that egress/);
  t.match(
    describeError(wrapped('UNABLE_TO_GET_ISSUER_CERT_LOCALLY')),
    /TLS certificate is not trusted .* NODE_EXTRA_CA_CERTS/,
  );
  t.equal(explainNetworkError(new Error('plain')), undefined, 'not a network failure');
  t.equal(
    describeError(new Error('outer', { cause: new Error('inner') })),
    'outer <- inner',
    'other errors: the distinct messages',
  );
  t.equal(
    describeError(new Error('something went wrong', { cause: new Error('the real reason') })),
    'the real reason',
    'empty wrappers are dropped',
  );
});

t.test('a real refused connection', async (t) => {
  const port = await freePort();
  const agent = new Agent({ connect: { timeout: 1000 } });
  t.teardown(() => agent.close());
  const e = await send(agent, { origin: `http://127.0.0.1:${port}`, path: '/', method: 'GET' }).catch(
    (x: unknown) => x,
  );
  t.equal(
    explainNetworkError(e),
    `the connection to 127.0.0.1:${port} was refused (ECONNREFUSED): check the URL and port, and that the server is up`,
  );
});

t.test(
  'a real TLS server with a certificate nobody trusts (a TLS-inspecting proxy): NODE_EXTRA_CA_CERTS is named',
  async (t) => {
    const { key, cert } = selfSignedCertificate();
    const server = https.createServer({ key, cert }, (_req, res) => res.end('{}'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const agent = new Agent({ connect: { timeout: 2000 } });
    t.teardown(async () => {
      await agent.close();
      server.close();
    });
    const e = await send(agent, {
      origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      path: '/',
      method: 'GET',
    }).catch((x: unknown) => x);
    t.match(
      describeError(e),
      /^the server's TLS certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\): if a corporate proxy inspects TLS, give its CA certificate with NODE_EXTRA_CA_CERTS/,
    );
  },
);

/**
 * A server that answers `{}` at once, or, once `dripping` is set, sends headers
 * and then a space every 50 ms forever; with a keep-alive Agent whose idle
 * timeouts (10 s) never trip first. Closed when the test ends.
 */
async function startAnswerServer(t: Test) {
  const mode = { dripping: false };
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (!mode.dripping) return void res.end('{}');
    const timer = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const agent = new Agent({ bodyTimeout: 10_000, headersTimeout: 10_000 });
  t.teardown(async () => {
    await agent.close();
    server.closeAllConnections();
    server.close();
  });
  return { mode, agent, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

t.test('send: the signal is a total deadline, even for an answer that never stops dripping', async (t) => {
  const { mode, agent, origin } = await startAnswerServer(t);
  mode.dripping = true;
  const started = Date.now();
  const e = await send(agent, { origin, path: '/', method: 'GET' }, { signal: AbortSignal.timeout(300) }).catch(
    (x: unknown) => x,
  );
  t.equal((e as Error).name, 'TimeoutError');
  t.ok(Date.now() - started < 2000, 'it ends at the deadline, not when the answer ends');
  const before = await send(
    agent,
    { origin, path: '/', method: 'GET' },
    { signal: AbortSignal.abort(new Error('already')) },
  ).catch((x: unknown) => x);
  t.equal((before as Error).message, 'already', 'an aborted signal never sends');
});

t.test('send: timeoutMs is a total deadline too, and its timer ends with the answer', async (t) => {
  const { mode, agent, origin } = await startAnswerServer(t);
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  // Warm the connection, then count the timers around requests with and without a deadline.
  await send(agent, { origin, path: '/', method: 'GET' });
  const without = timers();
  for (let i = 0; i < 20; i++)
    t.equal((await send(agent, { origin, path: '/', method: 'GET' }, { timeoutMs: 60_000 })).body, '{}');
  t.equal(timers(), without, 'no timer of the 20 answered requests is left');

  mode.dripping = true;
  const started = Date.now();
  const e = await send(agent, { origin, path: '/', method: 'GET' }, { timeoutMs: 300 }).catch((x: unknown) => x);
  t.equal((e as Error).name, 'TimeoutError');
  t.match((e as Error).message, /within 300 ms/);
  t.ok(Date.now() - started < 2000, 'it ends at the deadline, not when the answer ends');
});

t.test('HTTP_PROXY: the IdP and CommBox are reached through the proxy; NO_PROXY exempts hosts', async (t) => {
  const proxy = await startProxy();
  t.teardown(() => proxy.close());
  const s = await startHostileStack({ env: { HTTP_PROXY: proxy.url } });
  t.ok(
    (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
    'the login completes through the proxy',
  );
  const idpHost = new URL(s.idp.issuer).host;
  const commboxHost = new URL(s.sandbox.url).host;
  t.ok(proxy.seen.includes(idpHost), `the IdP went through the proxy (${proxy.seen.join(' ')})`);
  t.ok(proxy.seen.includes(commboxHost), 'CommBox went through the proxy');
  await s.close();

  proxy.seen.length = 0;
  const direct = await startHostileStack({ env: { http_proxy: proxy.url, no_proxy: '127.0.0.1' } });
  t.ok((await direct.browser().walk(`${direct.base}/login`, { stopAt: direct.sandbox.loginUrl })).stoppedAt);
  t.same(proxy.seen, [], 'NO_PROXY (lower-case forms read too): nothing through the proxy');
  await direct.close();
});

t.test('proxyFor: which proxy a URL uses, as check-config reports it, the password masked', async (t) => {
  const p = {
    httpProxy: 'http://user:secret@proxy.example:3128',
    httpsProxy: undefined,
    noProxy: 'localhost, .internal.example,api.example:8443',
  };
  t.equal(
    proxyFor(p, new URL('https://login.example.com/')),
    'http://user:***@proxy.example:3128',
    'https falls back to HTTP_PROXY',
  );
  t.equal(proxyFor(p, new URL('http://localhost:3000/')), undefined);
  t.equal(proxyFor(p, new URL('https://idp.internal.example/')), undefined, '.domain covers subdomains');
  t.equal(proxyFor(p, new URL('https://api.example:8443/')), undefined, 'host:port');
  t.equal(
    proxyFor(p, new URL('https://api.example/')),
    'http://user:***@proxy.example:3128',
    'another port is proxied',
  );
  t.equal(proxyFor({ ...p, noProxy: '*' }, new URL('https://x.example/')), undefined);
  t.equal(proxyFor(undefined, new URL('https://x.example/')), undefined);
  t.equal(
    proxyFor({ httpProxy: undefined, httpsProxy: 'http://p:1', noProxy: undefined }, new URL('http://x.example/')),
    undefined,
    'http without HTTP_PROXY: direct',
  );
});

t.test('proxy configuration: URLs checked, lower-case forms read, the password scrubbed from logs', async (t) => {
  t.match(configProblems({ ...TWO_IDP_BASE, HTTPS_PROXY: 'socks5://p:1080' }), {
    HTTPS_PROXY: /http:\/\/ or https:\/\//,
  });
  t.match(configProblems({ ...TWO_IDP_BASE, HTTP_PROXY: 'proxy.example.com' }), { HTTP_PROXY: /not an absolute URL/ });
  const c = parseConfig({ ...TWO_IDP_BASE, https_proxy: 'http://u:p%40ss@proxy.example:3128', no_proxy: 'localhost' });
  t.same(c.proxy, { httpProxy: undefined, httpsProxy: 'http://u:p%40ss@proxy.example:3128', noProxy: 'localhost' });
  t.ok(secretValues(c).includes('p@ss') && secretValues(c).includes('p%40ss'), 'the proxy password is a secret');
  t.equal(parseConfig(TWO_IDP_BASE).proxy, undefined, 'no proxy: direct');
});
