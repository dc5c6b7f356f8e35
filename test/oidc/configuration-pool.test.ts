/**
 * The Configurations that carry one login's deadline: each login's requests
 * carry its own signal, never another's or a finished login's, and the
 * Configurations are reused rather than built per login.
 */
import t from 'tap';
import * as client from 'openid-client';
import { ConfigurationPool } from '../../src/oidc/configuration-pool.js';

function pool() {
  const seen: (AbortSignal | null | undefined)[] = [];
  const fetch = async (_url: string, options: { signal?: AbortSignal | null }) => {
    seen.push(options.signal);
    return new Response('{}');
  };
  let made = 0;
  const newConfiguration = () => {
    made++;
    return new client.Configuration({ issuer: 'https://idp.example' }, 'bridge');
  };
  const shared = newConfiguration();
  made = 0;
  return { pool: new ConfigurationPool(shared, newConfiguration, fetch), shared, seen, made: () => made };
}

/** Sends one request through a Configuration's fetch, as openid-client does, with its own signal. */
async function send(configuration: client.Configuration, own: AbortSignal) {
  await configuration[client.customFetch]!('https://idp.example/token', {
    body: undefined,
    headers: {},
    method: 'POST',
    redirect: 'manual',
    signal: own,
  });
}

t.test('without a deadline: the shared Configuration', async (t) => {
  const p = pool();
  const used = await p.pool.withSignal(undefined, async (c) => c);
  t.equal(used, p.shared);
  t.equal(p.made(), 0);
});

t.test("a login's requests carry its deadline, and only while it runs", async (t) => {
  const p = pool();
  const deadline = new AbortController();
  const library = new AbortController();
  const used = await p.pool.withSignal(deadline.signal, async (c) => {
    await send(c, library.signal);
    return c;
  });
  t.not(used, p.shared);
  t.equal(p.seen[0], deadline.signal, "the login's deadline");
  await send(used, library.signal);
  t.equal(p.seen[1], library.signal, 'released: no longer the finished login’s');
});

t.test('logins at once each have their own; a released one is reused', async (t) => {
  const p = pool();
  const a = new AbortController();
  const b = new AbortController();
  let first: client.Configuration | undefined;
  await p.pool.withSignal(a.signal, async (ca) => {
    first = ca;
    await p.pool.withSignal(b.signal, async (cb) => {
      t.not(cb, ca, 'two logins in flight: two Configurations');
      await send(ca, new AbortController().signal);
      await send(cb, new AbortController().signal);
    });
  });
  t.same(p.seen, [a.signal, b.signal]);
  t.equal(p.made(), 2);
  const again = await p.pool.withSignal(new AbortController().signal, async (c) => c);
  t.equal(again, first, 'reused, not built again');
  t.equal(p.made(), 2);
});

t.test('a failed login gives its Configuration back too', async (t) => {
  const p = pool();
  const failing = p.pool.withSignal(new AbortController().signal, async () => {
    throw new Error('refused');
  });
  await t.rejects(failing, /refused/);
  await p.pool.withSignal(new AbortController().signal, async () => undefined);
  t.equal(p.made(), 1);
});

t.test('idle Configurations kept are bounded', async (t) => {
  const p = pool();
  const many = 100;
  const release: (() => void)[] = [];
  const running = Array.from({ length: many }, () =>
    p.pool.withSignal(new AbortController().signal, () => new Promise<void>((r) => release.push(r))),
  );
  t.equal(p.made(), many);
  release.forEach((r) => r());
  await Promise.all(running);
  const again = Array.from({ length: many }, () =>
    p.pool.withSignal(new AbortController().signal, () => new Promise<void>((r) => release.push(r))),
  );
  t.ok(p.made() > many, 'not every one was kept');
  t.ok(p.made() < 2 * many, 'but some were');
  release.forEach((r) => r());
  await Promise.all(again);
});
