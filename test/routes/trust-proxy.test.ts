/**
 * TRUST_PROXY at the HTTP level, through a real proxy hop. Linux routes all of
 * 127.0.0.0/8 to loopback, so each party has an address of its own: the proxy
 * connects to the bridge from 127.0.0.3, clients from 127.0.0.2, .4 and .5.
 * The audit line's `ip` and the rate-limit bucket are the real client's, and
 * neither can be chosen with a forged X-Forwarded-For, through the proxy or
 * around it.
 */
import t, { type Test } from 'tap';
import { Browser } from '../helpers/browser.js';
import { startReverseProxy, withPort, type ForwardAs, type ReverseProxy } from '../helpers/reverse-proxy.js';
import { signInWithForm, startDemoStack } from '../helpers/stack.js';

const PROXY = '127.0.0.3';
const ALICE = '127.0.0.2';
const BOB = '127.0.0.4';
const DIRECT = '127.0.0.5';

/** A demo stack reached through `proxy`: PUBLIC_URL and the redirect URI are the proxy's. */
async function behindProxy(t: Test, env: Record<string, string>, forwardAs?: ForwardAs) {
  const proxy = await startReverseProxy({ localAddress: PROXY, ...(forwardAs === undefined ? {} : { forwardAs }) });
  t.teardown(() => proxy.close());
  const s = await startDemoStack({
    env: { PUBLIC_URL: proxy.url, ...env },
    idp: { redirectUris: [`${proxy.url}/callback`] },
  });
  t.teardown(() => s.close());
  proxy.target = s.base;
  return { s, proxy };
}

function client(t: Test, localAddress: string, headers: Record<string, string> = {}): Browser {
  const b = new Browser({ localAddress, headers });
  t.teardown(() => b.close());
  return b;
}

/** Signs alice in from `b`, starting at `base`; the audit lines written meanwhile. */
async function signIn(t: Test, s: Awaited<ReturnType<typeof startDemoStack>>, b: Browser, base: string) {
  const before = s.audit.entries.length;
  const r = await signInWithForm(b, `${base}/login`, 'alice', s.sandbox.loginUrl);
  t.ok(r.stoppedAt, 'a ticket was issued');
  return s.audit.entries.slice(before);
}

const lastForwardedFor = (proxy: ReverseProxy) => proxy.forwardedFor[proxy.forwardedFor.length - 1];

t.test('through the trusted proxy, the audit ip is the real client, whatever X-Forwarded-For it sends', async (t) => {
  const { s, proxy } = await behindProxy(t, { TRUST_PROXY: PROXY });

  const plain = await signIn(t, s, client(t, ALICE), proxy.url);
  t.match(plain, [{ event: 'ticket_issued', ip: ALICE }]);
  t.equal(lastForwardedFor(proxy), ALICE, 'the proxy added the client it saw');

  const forged = await signIn(t, s, client(t, ALICE, { 'x-forwarded-for': '1.2.3.4' }), proxy.url);
  t.match(forged, [{ event: 'ticket_issued', ip: ALICE }], 'a forged entry in front is not the client');
  t.equal(lastForwardedFor(proxy), `1.2.3.4, ${ALICE}`, 'the forged entry did reach the bridge');

  // Naming the proxy itself as the previous hop does not make the client's own entry trusted.
  const asProxy = await signIn(t, s, client(t, BOB, { 'x-forwarded-for': `1.2.3.4, ${PROXY}` }), proxy.url);
  t.match(asProxy, [{ event: 'ticket_issued', ip: BOB }]);
  t.equal(s.ticketRequests(), 3);
});

t.test('the same proxy, not trusted (TRUST_PROXY unset): every client is the proxy', async (t) => {
  const { s, proxy } = await behindProxy(t, {});
  const lines = await signIn(t, s, client(t, ALICE, { 'x-forwarded-for': '1.2.3.4' }), proxy.url);
  t.match(lines, [{ event: 'ticket_issued', ip: PROXY }], 'the socket address: the proxy, never the forged entry');
});

t.test('a client that connects directly cannot choose its audit ip with X-Forwarded-For', async (t) => {
  const s = await startDemoStack({ env: { TRUST_PROXY: PROXY } });
  t.teardown(() => s.close());
  const lines = await signIn(t, s, client(t, DIRECT, { 'x-forwarded-for': `1.2.3.4, ${PROXY}` }), s.base);
  t.match(lines, [{ event: 'ticket_issued', ip: DIRECT }]);
});

t.test('rate limits behind the trusted proxy: one bucket per real client, not chosen by X-Forwarded-For', async (t) => {
  const { s, proxy } = await behindProxy(t, {
    TRUST_PROXY: PROXY,
    RATE_LIMIT_MAX: '2',
    RATE_LIMIT_WINDOW_MS: '600000',
  });
  const login = `${proxy.url}/login`;
  const alice = client(t, ALICE);
  t.equal((await alice.fetch(login)).status, 302);
  t.equal((await alice.fetch(login)).status, 302);
  t.equal((await alice.fetch(login)).status, 429, "alice's limit is used up");
  for (const forged of ['198.51.100.7', BOB, `203.0.113.9, ${PROXY}`]) {
    const r = await alice.fetch(login, { headers: { 'x-forwarded-for': forged } });
    t.equal(r.status, 429, `X-Forwarded-For: ${forged} gives alice no fresh bucket`);
  }
  t.equal(lastForwardedFor(proxy), `203.0.113.9, ${PROXY}, ${ALICE}`);

  // Bob, behind the same proxy, has his whole limit: alice's requests (one naming him) never counted for him.
  const bob = client(t, BOB);
  t.equal((await bob.fetch(login)).status, 302, 'another client behind the same proxy is not limited by alice');
  t.equal((await bob.fetch(login)).status, 302);
  t.equal((await bob.fetch(login)).status, 429, "then bob's own limit");

  // Around the proxy, a client's bucket is its socket address, whatever it writes.
  const direct = client(t, DIRECT);
  for (const [i, forged] of ['198.51.100.1', '198.51.100.2', '198.51.100.3'].entries()) {
    const r = await direct.fetch(`${s.base}/login`, { headers: { 'x-forwarded-for': forged } });
    t.equal(r.status, i < 2 ? 302 : 429, `direct request ${i + 1} (X-Forwarded-For: ${forged})`);
  }
  t.equal(s.ticketRequests(), 0);
});

t.test(
  'the same proxy, not trusted: all its clients share one bucket (why TRUST_PROXY is set behind a proxy)',
  async (t) => {
    const { proxy } = await behindProxy(t, { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '600000' });
    const login = `${proxy.url}/login`;
    t.equal((await client(t, ALICE).fetch(login)).status, 302);
    t.equal((await client(t, ALICE).fetch(login)).status, 302);
    t.equal((await client(t, BOB).fetch(login)).status, 429, "bob is limited by alice's requests");
  },
);

/** A request from `address` on a connection of its own (a new source port each time). */
async function once(address: string, url: string) {
  const b = new Browser({ localAddress: address });
  try {
    return await b.fetch(url);
  } finally {
    await b.close();
  }
}

t.test(
  'a proxy that writes IP:port (Azure Application Gateway): the client is the address, not each source port',
  async (t) => {
    const { s, proxy } = await behindProxy(
      t,
      { TRUST_PROXY: PROXY, RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '600000' },
      withPort,
    );
    const lines = await signIn(t, s, client(t, ALICE), proxy.url);
    t.match(
      lastForwardedFor(proxy),
      new RegExp(`^${ALICE.replaceAll('.', '\\.')}:\\d+$`),
      'the proxy wrote the source port',
    );
    t.equal(lines.length, 1);
    t.equal(lines[0]?.['ip'], ALICE, 'the audit ip without the port');

    // The sign-in used alice's /login once; a new connection (source port) each time gives no fresh bucket.
    t.equal((await once(ALICE, `${proxy.url}/login`)).status, 302);
    const refused = await once(ALICE, `${proxy.url}/login`);
    t.equal(refused.status, 429, 'the third /login from alice, from a third source port');
    const line = s.logs.find((e) => e['reason'] === 'rate_limited') as { req?: { ip?: string } } | undefined;
    t.equal(line?.req?.ip, ALICE, 'the log line names the address, without the port');
    t.equal((await once(BOB, `${proxy.url}/login`)).status, 302, 'bob has his own bucket');
  },
);

t.test('IP:port through the proxy: the failed-login budget is per address, not per source port', async (t) => {
  const { s, proxy } = await behindProxy(
    t,
    { TRUST_PROXY: PROXY, RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: '2' },
    withPort,
  );
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const b = new Browser({ localAddress: ALICE });
    const start = await b.fetch(`${proxy.url}/login`);
    const state = new URL(start.location!).searchParams.get('state')!;
    statuses.push(
      (
        await b.fetch(
          `${proxy.url}/callback?${new URLSearchParams({ state, code: `forged-${i}`, iss: s.env['OIDC_ISSUER']! })}`,
        )
      ).status,
    );
    await b.close();
  }
  t.equal(statuses[2], 429, `the third forged callback is refused (${statuses.join(', ')})`);
  t.equal(s.ticketRequests(), 0);
});

t.test('a proxy that writes [IPv6]:port: one bucket per /64, the audit ip without the port', async (t) => {
  // The proxy writes every client as an address of one /64, a different one and port each time.
  let n = 0;
  const { s, proxy } = await behindProxy(
    t,
    { TRUST_PROXY: PROXY, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '600000' },
    () => `[2001:db8:1:2::${++n}]:${40000 + n}`,
  );
  const lines = await signIn(t, s, client(t, ALICE), proxy.url);
  t.match(lines, [{ event: 'ticket_issued', ip: /^2001:db8:1:2::\d+$/ }]);
  t.equal((await once(ALICE, `${proxy.url}/login`)).status, 302);
  t.equal((await once(ALICE, `${proxy.url}/login`)).status, 302);
  t.equal(
    (await once(ALICE, `${proxy.url}/login`)).status,
    429,
    'the fourth /login from the /64, each from another address',
  );
});

t.test(
  'an X-Forwarded-For entry that is no address: the client is the socket (the proxy), never a bucket of its own',
  async (t) => {
    let n = 0;
    const { s, proxy } = await behindProxy(
      t,
      { TRUST_PROXY: PROXY, RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '600000' },
      () => `unknown-${++n}`,
    );
    const lines = await signIn(t, s, client(t, ALICE), proxy.url);
    t.match(lines, [{ event: 'ticket_issued', ip: PROXY }]);
    t.equal((await once(BOB, `${proxy.url}/login`)).status, 302);
    t.equal((await once(ALICE, `${proxy.url}/login`)).status, 429, "every such client shares the proxy's bucket");
  },
);
