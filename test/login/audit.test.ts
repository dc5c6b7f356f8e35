/**
 * The audit trail: one line per issued ticket, on a logger of its own, and
 * never the ticket itself.
 */
import t from 'tap';
import { startHostileStack } from '../helpers/stack.js';

t.test('audit: one line per issued ticket, on its own logger, never the ticket', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const r = await s
    .browser()
    .walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl, headers: { 'user-agent': 'AgentBrowser/1.0' } });
  t.ok(r.stoppedAt);
  s.idp.mode = 'bad-sig';
  await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(s.audit.entries.length, 1, 'refused logins issue no ticket and no audit line');
  const line = s.audit.entries[0]!;
  t.match(line, {
    name: 'commbox-sso-bridge.audit',
    msg: 'ticket issued',
    event: 'ticket_issued',
    sub: 'u-alice',
    username: 'alice',
    email: 'alice@example.com',
    ip: '127.0.0.1',
    userAgent: 'test-browser',
    reqId: /^[0-9a-f]{16}$/,
    ms: Number,
    time: String,
  });
  t.notOk(s.audit.text.includes(s.sandbox.requests[0]!.ticket!));
});
