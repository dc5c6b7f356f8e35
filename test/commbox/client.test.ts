import t from 'tap';
import { parseRetryAfter, readTicket } from '../../src/commbox/client.js';
import { BridgeError } from '../../src/errors.js';
import type { SandboxFault } from '../../dev/commbox-sandbox.js';
import { freePort, startHostileStack } from '../helpers/stack.js';

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof BridgeError ? e.reason : `not a BridgeError: ${String(e)}`;
  }
  return undefined;
}

t.test('readTicket', async (t) => {
  t.equal(readTicket('{"data":{"encpryptedString":"abc%3d"}}'), 'abc%3d');
  t.equal(readTicket('{"data":{"encryptedString":"abc"}}'), 'abc', 'the corrected spelling too');
  t.equal(
    reasonOf(() => readTicket('{"data":{"encpry')),
    'commbox_bad_response',
  );
  t.equal(
    reasonOf(() => readTicket('{"data":{}}')),
    'commbox_bad_response',
  );
  t.equal(
    reasonOf(() => readTicket('null')),
    'commbox_bad_response',
  );
  t.equal(
    reasonOf(() => readTicket('{"data":{"encpryptedString":"a b"}}')),
    'commbox_bad_response',
  );
  t.equal(
    reasonOf(() => readTicket('{"data":{"encpryptedString":"é"}}')),
    'commbox_bad_response',
  );
  t.equal(
    reasonOf(() => readTicket(JSON.stringify({ data: { encpryptedString: 'x'.repeat(9000) } }))),
    'commbox_bad_response',
  );
});

t.test('parseRetryAfter', async (t) => {
  t.equal(parseRetryAfter('2'), 2000);
  t.equal(parseRetryAfter(undefined), undefined);
  t.equal(parseRetryAfter('soon'), undefined);
  const d = parseRetryAfter(new Date(Date.now() + 3000).toUTCString())!;
  t.ok(d > 1000 && d <= 3000);
  t.equal(parseRetryAfter(new Date(0).toUTCString()), 0);
});

/** The CommBox fault suite: each misbehaviour through the whole flow. */
const FAULTS: { fault: SandboxFault; failures?: number; status: number; reason?: string; attempts: number }[] = [
  { fault: '429-then-ok', failures: 1, status: 302, attempts: 2 },
  { fault: '503-then-ok', failures: 2, status: 302, attempts: 3 },
  { fault: '429', status: 502, reason: 'commbox_unavailable', attempts: 3 },
  { fault: '500', status: 502, reason: 'commbox_unavailable', attempts: 1 },
  { fault: '400', status: 502, reason: 'commbox_rejected', attempts: 1 },
  { fault: '401', status: 502, reason: 'commbox_unauthorized', attempts: 1 },
  { fault: 'html', status: 502, reason: 'commbox_unavailable', attempts: 3 },
  { fault: 'truncated', status: 502, reason: 'commbox_bad_response', attempts: 1 },
  { fault: 'no-token', status: 502, reason: 'commbox_bad_response', attempts: 1 },
  { fault: 'reset', status: 502, reason: 'commbox_unavailable', attempts: 3 },
  { fault: 'hang', status: 504, reason: 'commbox_timeout', attempts: 1 },
];

t.test('CommBox faults', async (t) => {
  const s = await startHostileStack({ env: { COMMBOX_TIMEOUT_MS: '3000' } });
  t.teardown(() => s.close());
  for (const f of FAULTS) {
    await t.test(`${f.fault}${f.failures ? ` x${f.failures}` : ''}`, async (t) => {
      s.sandbox.fault = f.fault;
      s.sandbox.failures = f.failures ?? 0;
      const before = s.sandbox.requests.length;
      const logsBefore = s.logs.lines.length;
      const started = Date.now();
      const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
      t.equal(r.last.status, f.status);
      t.equal(s.sandbox.requests.length - before, f.attempts, `${f.attempts} ticket request(s)`);
      t.ok(Date.now() - started < 3500, 'inside the budget');
      if (f.reason) {
        t.notOk(r.stoppedAt);
        t.match(r.last.body, new RegExp(`\\(${f.reason}\\)`));
        t.match(r.last.headers['content-type'], /text\/html/);
        const line = s.logs.entries.slice(logsBefore).find((e) => e['reason'] === f.reason);
        t.match(line, { sub: 'u-alice', username: 'alice', commboxAttempts: f.attempts, level: 50 });
        if (f.fault === '401') t.match(line, { detail: /COMMBOX_API_KEY is wrong/ });
      } else {
        t.ok(r.stoppedAt, 'lands after the retries');
      }
    });
  }
  s.sandbox.fault = 'none';
});

t.test('a Retry-After longer than the budget is not waited for', async (t) => {
  const s = await startHostileStack({ env: { COMMBOX_TIMEOUT_MS: '800' } });
  t.teardown(() => s.close());
  s.sandbox.fault = '429';
  const started = Date.now();
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 502);
  t.equal(s.sandbox.requests.length, 1);
  t.ok(Date.now() - started < 700, 'fails fast instead of sleeping past the budget');
});

t.test('COMMBOX_TIMEOUT_MS is a total deadline: an answer that drips a byte at a time is cut off', async (t) => {
  const s = await startHostileStack({ env: { COMMBOX_TIMEOUT_MS: '1000' } });
  t.teardown(() => s.close());
  s.sandbox.fault = 'drip';
  const started = Date.now();
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  const ms = Date.now() - started;
  t.equal(r.last.status, 504);
  t.match(r.last.body, /\(commbox_timeout\)/);
  t.ok(ms < 2500, `the login ends near the 1000 ms budget (${ms} ms), not after the ~60 s the answer takes`);
  t.equal(s.sandbox.requests.length, 1, 'one attempt: the budget is spent');
  t.match(
    s.logs.find((e) => e['reason'] === 'commbox_timeout'),
    { detail: /COMMBOX_TIMEOUT_MS/, commboxAttempts: 1 },
  );
  t.notOk(r.stoppedAt);
});

t.test('CommBox unreachable', async (t) => {
  const closed = await freePort();
  const s = await startHostileStack({ env: { COMMBOX_API_URL: `http://127.0.0.1:${closed}` } });
  t.teardown(() => s.close());
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 502);
  t.match(r.last.body, /\(commbox_unavailable\)/);
  t.match(
    s.logs.find((e) => e['reason'] === 'commbox_unavailable'),
    { detail: /ECONNREFUSED/, commboxAttempts: 3 },
  );
});

t.test(
  "the login's deadline (a signal): nothing is sent once it has passed, and a retry's wait ends at it",
  async (t) => {
    const s = await startHostileStack();
    t.teardown(() => s.close());
    const data = { brand: 'acme', username: 'alice', email: 'alice@example.com', oneTimeUse: true } as const;
    const reason = new BridgeError('login_timeout', { check: 'login_timeout.ticket' });
    await t.rejects(s.bridge.commbox.requestTicket(data, undefined, AbortSignal.abort(reason)), reason);
    t.equal(s.sandbox.requests.length, 0, 'no ticket request once the deadline has passed');

    s.sandbox.fault = '429'; // Retry-After: 1 s, within COMMBOX_TIMEOUT_MS: the client waits to retry
    const controller = new AbortController();
    const pending = s.bridge.commbox.requestTicket(data, undefined, controller.signal);
    while (s.sandbox.requests.length === 0) await new Promise((ok) => setTimeout(ok, 10));
    controller.abort(reason);
    await t.rejects(pending, reason, "the wait ends with the signal's reason");
    t.equal(s.sandbox.requests.length, 1, 'and no retry was sent');
  },
);
