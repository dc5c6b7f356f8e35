/**
 * Secrets never reach the logs: client secret, API key, cookie secret, the
 * authorization code, ID and access tokens, the ticket and the login cookie.
 */
import t from 'tap';
import { createLogger, hideValues, redactUrl } from '../../src/observability/log.js';
import { COOKIE_SECRET, LogCapture, startHostileStack } from '../helpers/stack.js';

t.test('a full login at trace level, and failing ones, log no secret', async (t) => {
  const s = await startHostileStack({ env: { LOG_LEVEL: 'trace' } });
  t.teardown(() => s.close());
  const b = s.browser();
  const ok = await b.walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(ok.stoppedAt);
  const cookies = ok.hops
    .flatMap((h) => h.setCookies.map((c) => c.split(';')[0]!.split('=')[1]!))
    .filter((v) => v.length > 20);
  for (const mode of ['token-error', 'bad-sig', 'userinfo-bad-sub', 'error-response'] as const) {
    s.idp.mode = mode;
    await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  }
  s.idp.mode = 'ok';
  s.sandbox.fault = '401';
  await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  // A callback URL with a code in it, refused for lack of a cookie.
  await s.browser().fetch(`${s.base}/callback?code=SECRETCODE1234567890&state=${'s'.repeat(43)}`);

  const secrets: [string, string][] = [
    ['client secret', s.idp.clientSecret],
    ['API key', s.sandbox.apiKey],
    ['cookie secret', COOKIE_SECRET],
    ['code from a refused callback', 'SECRETCODE1234567890'],
    ...s.idp.issued.map((v, i): [string, string] => [`code or token #${i}`, v]),
    ...s.sandbox.requests.filter((r) => r.ticket).map((r): [string, string] => ['ticket', r.ticket!]),
    ...cookies.map((c): [string, string] => ['login cookie', c]),
  ];
  t.ok(s.idp.issued.length >= 10, 'codes and tokens were issued');
  t.ok(s.logs.lines.length > 5, 'there are log lines to check');
  const text = s.logs.text;
  for (const [what, value] of secrets) t.notOk(text.includes(value), `no ${what} in the logs`);
  t.notOk(/eyJ[A-Za-z0-9_-]{5,}\.eyJ/.test(text), 'nothing shaped like a JWT');
  t.ok(
    s.logs.find((e) => e['reason'] === 'commbox_unauthorized'),
    'the failures were logged',
  );
});

t.test('the logger scrubs secrets and JWTs wherever they appear', async (t) => {
  const logs = new LogCapture();
  const log = createLogger({ level: 'info', secrets: ['super-secret-api-key', 'short'], destination: logs });
  log.info(
    { nested: { anything: 'Bearer super-secret-api-key' }, apiKey: 'x', code: 'c0de', ticket: 'tkt' },
    'with super-secret-api-key in the message',
  );
  log.info({ token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }, 'jwt');
  log.info({ req: { method: 'GET', url: '/callback?code=abc&state=def&iss=https%3A%2F%2Fidp' } }, 'req');
  log.error({ err: Object.assign(new Error('failed with super-secret-api-key'), { code: 'X' }) }, 'err');
  const text = logs.text;
  t.notOk(text.includes('super-secret-api-key'));
  t.match(text, /\[redacted\] in the message/);
  t.notOk(text.includes('c0de') || text.includes('"tkt"'));
  t.match(text, /\[redacted-jwt\]/);
  t.match(logs.entries[2], { req: { url: '/callback?code=[redacted]&state=[redacted]&iss=https%3A%2F%2Fidp' } });
  const words = new LogCapture();
  createLogger({ level: 'info', secrets: ['short'], destination: words }).info('a short word');
  t.match(
    words.entries[0],
    { msg: 'a short word' },
    'secrets under 8 characters are not scrubbed blindly (they would eat words)',
  );
});

t.test('redactUrl', async (t) => {
  t.equal(redactUrl('/login'), '/login');
  t.equal(redactUrl('/callback?code=x&error=access_denied'), '/callback?code=[redacted]&error=access_denied');
  t.equal(redactUrl('/initiate?login_hint=alice%40x&iss=y'), '/initiate?login_hint=[redacted]&iss=y');
});

t.test('hideValues: every occurrence, the longest value first, empty values ignored', async (t) => {
  t.equal(hideValues('key k3y and k3y-long, k3y', ['k3y', 'k3y-long', '']), 'key [hidden] and [hidden], [hidden]');
  t.equal(hideValues('nothing to hide', []), 'nothing to hide');
});
