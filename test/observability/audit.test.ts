/**
 * The audit logger's envelope, added by the logger whatever code writes the
 * line, and the once-per-window memory of the limits' lines.
 */
import t from 'tap';
import { AUDIT_SCHEMA_VERSION, createAuditLogger, OncePerWindow } from '../../src/observability/audit.js';
import { LogCapture } from '../helpers/stack.js';

t.test('every line gets the schema version and its outcome, written by code that knows neither', async (t) => {
  const lines = new LogCapture();
  const audit = createAuditLogger({ secrets: ['reloaded-secret-value'], destination: lines });
  // As the secret reloading writes them.
  audit.info({ event: 'secret_reloaded', secret: 'COMMBOX_API_KEY_FILE' }, 'secret reloaded');
  audit.warn(
    { event: 'secret_reload_failed', secret: 'IDP_PARTNER_CLIENT_SECRET_FILE', idp: 'partner', problem: 'empty' },
    'secret reload failed',
  );
  audit.info({ event: 'something_new' }, 'an event this version does not list');
  audit.error({ event: 'stopped', outcome: 'failure' }, 'a line that says its own outcome');
  audit.info({ event: 'secret_reloaded', secret: 'reloaded-secret-value' }, 'never a value');
  t.match(lines.entries, [
    { name: 'commbox-sso-bridge.audit', schemaVersion: AUDIT_SCHEMA_VERSION, outcome: 'success', idp: undefined },
    { schemaVersion: AUDIT_SCHEMA_VERSION, outcome: 'failure', idp: 'partner', problem: 'empty' },
    { schemaVersion: AUDIT_SCHEMA_VERSION, outcome: 'unknown' },
    { outcome: 'failure' },
    { secret: '[redacted]' },
  ]);
  t.equal(lines.entries.length, 5);
});

t.test('the ECS format: the envelope and the categorization under their ECS names', async (t) => {
  const lines = new LogCapture();
  const audit = createAuditLogger({ secrets: [], destination: lines, format: 'ecs' });
  audit.warn({ event: 'secret_reload_failed', secret: 'COOKIE_SECRET_FILE', problem: 'too short' }, 'refused');
  t.match(lines.entries[0], {
    'event.action': 'secret_reload_failed',
    'event.outcome': 'failure',
    'event.kind': 'event',
    'event.category': ['configuration'],
    'event.type': ['change'],
    'commbox_sso_bridge.schemaVersion': AUDIT_SCHEMA_VERSION,
    'commbox_sso_bridge.secret': 'COOKIE_SECRET_FILE',
    'log.level': 'warn',
    message: 'refused',
  });
});

t.test('once per window: the first of each key, again in the next window', async (t) => {
  let now = 1_000_000;
  const once = new OncePerWindow(60_000, () => now);
  t.same(
    ['a', 'a', 'b', 'a', 'b'].map((k) => once.first(k)),
    [true, false, true, false, false],
  );
  now += 59_999;
  t.notOk(once.first('a'), 'still the same window');
  now += 1;
  t.ok(once.first('a'), 'the next window');
  t.notOk(once.first('a'));
});

t.test(
  'once per window remembers at most its maximum of clients in a window; the next window starts afresh',
  async (t) => {
    let now = 0;
    const once = new OncePerWindow(60_000, () => now, 3);
    t.same(
      ['a', 'b', 'c', 'd', 'a'].map((k) => once.first(k)),
      [true, true, true, false, false],
      'a fourth client in the window gets no line of its own',
    );
    now += 60_000;
    t.ok(once.first('d'), 'the next window');
  },
);
