/**
 * The failed-login budget (`RATE_LIMIT_FAILED_LOGINS`): an outsider looping
 * `/login` and a forged `/callback` (a login cookie of its own, a made-up code)
 * cannot make the bridge send more than a few token requests with its client
 * credentials, even with the general rate limit off; other clients go on.
 * Token requests are counted at the IdP.
 */
import t from 'tap';
import { DEFAULT_FAILED_LOGINS } from '../../src/config/table.js';
import { budgetClient } from '../../src/login/failure-budget.js';
import { Browser } from '../helpers/browser.js';
import type { HostileIdp } from '../helpers/hostile-idp.js';
import { startHostileStack, type Stack } from '../helpers/stack.js';

/** One round of the outsider: a real /login for its own cookie, then a callback with a forged code. */
async function forgedRound(s: Stack<HostileIdp>, b: Browser, i: number, headers: Record<string, string> = {}) {
  const start = await b.fetch(`${s.base}/login`);
  const state = new URL(start.location!).searchParams.get('state')!;
  const query = new URLSearchParams({ state, code: `forged-code-${i}`, iss: s.idp.issuer });
  return b.fetch(`${s.base}/callback?${query}`, { headers });
}

t.test('an outsider looping /login + a forged /callback: after the budget, no token request reaches the IdP', async (t) => {
  // The general rate limit off (as the benchmark runs): the budget holds by itself.
  const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '0' } });
  t.teardown(() => s.close());
  const outsider = s.browser();
  for (let i = 0; i < DEFAULT_FAILED_LOGINS; i++) {
    const r = await forgedRound(s, outsider, i);
    t.equal(r.status, 502, `round ${i + 1}: the IdP refused the forged code`);
  }
  t.equal(s.idp.stats.token, DEFAULT_FAILED_LOGINS, `${DEFAULT_FAILED_LOGINS} token requests so far`);
  const statuses = new Set<number>();
  for (let i = 0; i < 40; i++) statuses.add((await forgedRound(s, outsider, 100 + i)).status);
  t.same([...statuses], [429], 'every further round is refused');
  t.equal(s.idp.stats.token, DEFAULT_FAILED_LOGINS, 'and not one more token request was sent');
  const page = await forgedRound(s, outsider, 200);
  t.match(page.body, /Too many attempts/);
  t.match(page.body, /\(rate_limited\)/);
  t.ok(Number(page.headers['retry-after']) > 0, 'with Retry-After');
  const json = await forgedRound(s, outsider, 201, { accept: 'application/json' });
  const answer = JSON.parse(json.body) as { error: string; reference: string };
  t.match(answer, { error: 'rate_limited', reference: /^[0-9a-f]{16}$/ });
  const line = s.logs.find((e) => e['reqId'] === answer.reference);
  t.match(line, { reason: 'rate_limited', check: 'rate_limit.failed_logins', status: 429 }, 'the log names the check, under the same reference');
  t.equal(s.ticketRequests(), 0, 'no ticket was ever requested');

  // The same address is refused even with a real sign-in until the window ends...
  t.equal((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 429);
  // ...while another client is not affected at all.
  const other = new Browser({ localAddress: '127.0.0.2' });
  t.equal((await forgedRound(s, other, 300)).status, 502, 'another client IP still reaches the token endpoint');
  t.equal(s.idp.stats.token, DEFAULT_FAILED_LOGINS + 1);
  const real = await other.walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(real.stoppedAt, 'and signs in');
  t.equal(s.ticketRequests(), 1);
});

t.test('many forged callbacks at once: the budget counts them before the token request', async (t) => {
  const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: '5' } });
  t.teardown(() => s.close());
  // Each round its own browser (cookie jar), all callbacks sent together.
  const rounds = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const b = s.browser();
      const start = await b.fetch(`${s.base}/login`);
      return { b, state: new URL(start.location!).searchParams.get('state')!, i };
    }),
  );
  const answers = await Promise.all(
    rounds.map(({ b, state, i }) => b.fetch(`${s.base}/callback?${new URLSearchParams({ state, code: `forged-${i}`, iss: s.idp.issuer })}`)),
  );
  t.ok(s.idp.stats.token <= 5, `at most 5 token requests, not 30 (${s.idp.stats.token})`);
  t.equal(answers.filter((a) => a.status === 429).length, 30 - s.idp.stats.token, 'the others were refused before any request');
  t.equal(s.ticketRequests(), 0);
});

t.test('successful logins give their unit back; refusals before the token request take none', async (t) => {
  const s = await startHostileStack({ env: { RATE_LIMIT_FAILED_LOGINS: '2' } });
  t.teardown(() => s.close());
  for (let i = 0; i < 6; i++) {
    t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt, `login ${i + 1} of a floor behind one address`);
  }
  s.idp.mode = 'error-response'; // refused at the authorization response: no token request
  for (let i = 0; i < 4; i++) t.equal((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 403);
  s.idp.mode = 'ok';
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt, 'still within the budget');
  s.idp.mode = 'token-500'; // an IdP failure at the token endpoint counts: fail closed
  for (let i = 0; i < 2; i++) t.equal((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 502);
  s.idp.mode = 'ok';
  const tokens = s.idp.stats.token;
  t.equal((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 429, 'two failed exchanges spend it');
  t.equal(s.idp.stats.token, tokens);
  t.equal(s.ticketRequests(), 7);
});

t.test('RATE_LIMIT_FAILED_LOGINS=off: no budget, explicitly', async (t) => {
  const s = await startHostileStack({ env: { RATE_LIMIT_MAX: '0', RATE_LIMIT_FAILED_LOGINS: 'off' } });
  t.teardown(() => s.close());
  const b = s.browser();
  for (let i = 0; i < DEFAULT_FAILED_LOGINS + 5; i++) await forgedRound(s, b, i);
  t.equal(s.idp.stats.token, DEFAULT_FAILED_LOGINS + 5);
});

t.test('the client of a budget: an IPv4 address, an IPv6 /64', async (t) => {
  t.equal(budgetClient('203.0.113.9'), '203.0.113.9');
  t.equal(budgetClient('::ffff:203.0.113.9'), '203.0.113.9', 'IPv4-mapped');
  t.equal(budgetClient('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  t.equal(budgetClient('2001:0db8:0001:0002::9'), '2001:db8:1:2::/64', 'leading zeros');
  t.equal(budgetClient('2001:db8:1:2:ffff::1'), budgetClient('2001:db8:1:2::2'), 'one prefix is one client');
  t.equal(budgetClient('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(budgetClient('::1'), '0:0:0:0::/64');
  t.not(budgetClient('2001:db8:1:3::1'), budgetClient('2001:db8:1:2::1'));
});
