/**
 * LOG_FORMAT: both formats carry the same events, `ecs` under Elastic Common
 * Schema's field names; in both, no secret, code, token or ticket reaches a
 * line, the application's or the audit trail's, through a login and refusals.
 */
import t from 'tap';
import { createLogger } from '../../src/observability/log.js';
import { Browser } from '../helpers/browser.js';
import { COOKIE_SECRET, LogCapture, startHostileStack } from '../helpers/stack.js';

/** A JWT's shape, as a client could send one in any header it controls. */
const JWT = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

for (const format of ['json', 'ecs'] as const) {
  t.test(`LOG_FORMAT=${format}: a login and refusals, every line JSON, nothing secret`, async (t) => {
    const s = await startHostileStack({ env: { LOG_FORMAT: format } });
    t.teardown(() => s.close());
    // A client that echoes a secret and a JWT in its User-Agent, which the audit lines carry:
    // only the last scrub of the written line keeps them out.
    const userAgent = `Hostile/1.0 ${s.sandbox.apiKey} ${JWT}`;
    const browser = () => new Browser({ headers: { 'user-agent': userAgent } });
    const ok = await browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.ok(ok.stoppedAt, 'signed in');
    s.idp.mode = 'bad-sig';
    t.equal((await browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 502);
    s.idp.mode = 'ok';
    s.sandbox.fault = '401';
    t.equal((await browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).last.status, 502);
    t.equal((await browser().fetch(`${s.base}/callback?code=a-code&state=a-state`)).status, 400);

    const secrets = [
      s.idp.clientSecret,
      s.sandbox.apiKey,
      COOKIE_SECRET,
      s.sandbox.requests[0]!.ticket!,
      // The codes, access tokens and ID tokens the IdP issued.
      ...s.idp.issued,
    ];
    t.ok(s.idp.issued.length >= 6, 'codes and tokens were issued');
    for (const [what, capture] of [
      ['application', s.logs],
      ['audit', s.audit],
    ] as const) {
      t.ok(capture.lines.length > 0, `${what}: lines were written`);
      for (const line of capture.lines) t.doesNotThrow(() => JSON.parse(line) as unknown, `${what}: JSON`);
      for (const secret of secrets) t.notOk(capture.text.includes(secret), `${what}: not ${secret.slice(0, 6)}…`);
      t.notMatch(capture.text, /eyJ[A-Za-z0-9_-]{5,}\./, `${what}: no JWT`);
      t.notMatch(capture.text, /a-code/, `${what}: no code from a query string`);
    }

    const audit = s.audit.entries;
    if (format === 'json') {
      for (const l of [...s.logs.entries, ...audit]) t.match(l, { time: String, level: Number, msg: String });
      t.same(
        audit.map((l) => l['event']),
        ['ticket_issued', 'login_refused', 'login_refused', 'login_refused'],
      );
      return;
    }
    for (const l of [...s.logs.entries, ...audit]) {
      t.match(l, { '@timestamp': String, 'log.level': String, message: String, 'ecs.version': /^\d+\.\d+/ });
      t.notOk('time' in l || 'level' in l || 'msg' in l, 'none of the json names');
    }
    t.same(
      audit.map((l) => l['event.action']),
      ['ticket_issued', 'login_refused', 'login_refused', 'login_refused'],
    );
    t.match(audit[0], {
      'log.logger': 'commbox-sso-bridge.audit',
      'event.dataset': 'commbox-sso-bridge.audit',
      'service.name': 'commbox-sso-bridge',
      'event.kind': 'event',
      'event.category': ['authentication'],
      'event.type': ['start'],
      'event.outcome': 'success',
      'event.duration': Number,
      'user.id': 'u-alice',
      'user.name': 'alice',
      'user.email': 'alice@example.com',
      'client.ip': '127.0.0.1',
      'user_agent.original': 'Hostile/1.0 [redacted] [redacted-jwt]',
      'http.request.id': /^[0-9a-f]{16}$/,
      'commbox_sso_bridge.schemaVersion': 1,
      'commbox_sso_bridge.idp': 'default',
    });
    t.match(audit[1], {
      'event.outcome': 'failure',
      'event.reason': 'id_token_invalid',
      'commbox_sso_bridge.check': 'id_token.signature',
      'http.response.status_code': 502,
    });
    t.match(audit[2], { 'event.reason': 'commbox_unauthorized', 'user.id': 'u-alice', 'user.name': 'alice' });
    // The application's line of the same refusal: the request's ID from Fastify's child logger, mapped too.
    const app = s.logs.entries.find(
      (l) => l['http.request.id'] === audit[1]!['http.request.id'] && l['message'] === 'login failed',
    );
    t.match(app, {
      'log.logger': 'commbox-sso-bridge',
      'event.action': 'login',
      'event.reason': 'id_token_invalid',
      'http.request.method': 'GET',
      'url.original': /^\/callback\?/,
      'client.ip': '127.0.0.1',
      'commbox_sso_bridge.detail': String,
    });
  });
}

t.test('both formats: secret fields, query strings and error messages redacted before the mapping', async (t) => {
  for (const format of ['json', 'ecs'] as const) {
    const lines = new LogCapture();
    const log = createLogger({ level: 'info', secrets: ['configured-secret-value'], destination: lines, format });
    log.child({ reqId: 'r1' }).warn(
      {
        event: 'login',
        code: 'a-code-value',
        nested: { ticket: 'a-ticket-value' },
        req: { method: 'GET', url: '/callback?code=a-code-value&iss=https://idp', ip: '192.0.2.1' },
        err: new Error('failed with configured-secret-value'),
      },
      'login refused',
    );
    t.notMatch(lines.text, /a-code-value|a-ticket-value|configured-secret-value/, `${format}: none of them`);
    t.match(lines.text, /iss=https%3A%2F%2Fidp/, `${format}: the safe query value stays`);
  }
});
