/**
 * `GET /login`: unfinished logins must not lock a browser out, even when it sends
 * many at once.
 */
import t from 'tap';
import { MAX_LIVE_TRANSACTIONS } from '../../src/login/transaction.js';
import type { Hop } from '../helpers/browser.js';
import { startHostileStack } from '../helpers/stack.js';

t.test('after 60 unfinished logins the next one works: at most a few live login cookies per browser', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const b = s.browser();
  const host = new URL(s.base).host;
  const started: string[] = [];
  for (let i = 0; i < 60; i++) {
    const hop = await b.fetch(`${s.base}/login`);
    t.equal(hop.status, 302);
    started.push(hop.location!);
  }
  const live = b.jar.names(host).filter((n) => n.includes('cbx_tx_'));
  t.equal(live.length, MAX_LIVE_TRANSACTIONS, `${MAX_LIVE_TRANSACTIONS} live login cookies, not 60`);
  t.ok((b.jar.header(`${s.base}/login`) ?? '').length < 4096, 'the Cookie header stays small');

  const next = await b.fetch(`${s.base}/login`);
  t.equal(
    b.jar.names(host).filter((n) => n.includes('cbx_tx_')).length,
    MAX_LIVE_TRANSACTIONS,
    'the 61st takes the oldest slot',
  );

  // The newest unfinished ones still complete (older first: a completed login
  // clears the ones started before it); the oldest were dropped.
  const newest = await b.walk(started.at(-1)!, { stopAt: s.sandbox.loginUrl });
  t.ok(newest.stoppedAt, 'a recent unfinished login still completes');
  const last = await b.walk(next.location!, { stopAt: s.sandbox.loginUrl });
  t.ok(last.stoppedAt, `the 61st login lands in CommBox (last ${last.last.status})`);
  t.equal(s.ticketRequests(), 2);
  const oldest = await b.walk(started[0]!, { stopAt: s.sandbox.loginUrl });
  t.equal(oldest.last.status, 400, 'the oldest was dropped');
  t.match(oldest.last.body, /\((state_mismatch|login_cookie_missing)\)/);
  t.equal(s.ticketRequests(), 2);
});

t.test('two tabs, then many more: the two newest are kept', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const b = s.browser();
  for (let i = 0; i < MAX_LIVE_TRANSACTIONS + 3; i++) await b.fetch(`${s.base}/login`);
  const tab1 = await b.fetch(`${s.base}/login`);
  const tab2 = await b.fetch(`${s.base}/login`);
  // The older first: a completed login clears the ones started before it.
  t.ok((await b.walk(tab1.location!, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  t.ok((await b.walk(tab2.location!, { stopAt: s.sandbox.loginUrl })).stoppedAt);
});

t.test(
  '20 /login requests sent at once by one browser: at most 5 login cookie names, and the last login completes',
  async (t) => {
    const s = await startHostileStack();
    t.teardown(() => s.close());
    await s.bridge.oidc.discover();
    const b = s.browser();
    const host = new URL(s.base).host;
    for (const round of ['no login cookie yet', 'every slot already taken']) {
      const arrived: Hop[] = [];
      // Sent together: every request carries the same cookies.
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const hop = await b.fetch(`${s.base}/login`);
          arrived.push(hop);
        }),
      );
      const names = new Set(arrived.flatMap((h) => h.setCookies.map((c) => c.slice(0, c.indexOf('=')))));
      t.ok(
        names.size <= MAX_LIVE_TRANSACTIONS,
        `${round}: ${names.size} distinct cookie names set, at most ${MAX_LIVE_TRANSACTIONS}`,
      );
      t.ok([...names].every((n) => /^cbx_tx_[0-4]$/.test(n)));
      t.ok(
        b.jar.names(host).filter((n) => n.includes('cbx_tx_')).length <= MAX_LIVE_TRANSACTIONS,
        'the browser holds at most 5',
      );
      // The login whose answer arrived last holds its slot: it completes.
      const last = await b.walk(arrived.at(-1)!.location!, { stopAt: s.sandbox.loginUrl });
      t.ok(last.stoppedAt, `${round}: the last login lands in CommBox`);
      for (let i = 0; i < MAX_LIVE_TRANSACTIONS; i++) await b.fetch(`${s.base}/login`);
    }
    t.equal(s.ticketRequests(), 2);
  },
);
