/**
 * Secrets rotated under a running bridge, with real files laid out as Kubernetes
 * mounts a secret (a `..data` link swapped at once): logins go on across the change
 * with the new value, a bad new value keeps the old one and says so, and no new
 * value reaches a log line.
 */
import t, { type Test } from 'tap';
import { rmSync } from 'node:fs';
import { Browser } from '../helpers/browser.js';
import { continuousLogins, mountedSecret, secretReloadInMemory } from '../helpers/rotation.js';
import { COOKIE_SECRET, signInWithForm, startDemoStack, startHostileStack, submitLoginForm } from '../helpers/stack.js';
import { until } from '../helpers/until.js';

const NEW_KEY = 'rotated-commbox-api-key-9f8e7d6c5b4a';
const NEW_COOKIE_SECRET = 'Qm7tV2xK9pL4wR8zN1cF6hJ3sD0gB5yE2uA7iO4kT9w=';
const NEW_CLIENT_SECRET = 'rotated-client-secret-5e4d3c2b1a09';

/** The hostile stack with the CommBox key in a mounted secret file (and `env`), closed after `t`. */
async function stackWithKeyFile(t: Test, env: Record<string, string>) {
  let secret!: ReturnType<typeof mountedSecret>;
  const s = await startHostileStack({
    env: (sandbox) => {
      secret = mountedSecret(t, { 'commbox-api-key': sandbox.apiKey });
      return { COMMBOX_API_KEY: '', COMMBOX_API_KEY_FILE: secret.path('commbox-api-key'), ...env };
    },
  });
  t.teardown(() => s.close());
  return { s, secret };
}

const auditEvents = (s: { audit: { entries: Record<string, unknown>[] } }, event: string) =>
  s.audit.entries.filter((e) => e['event'] === event);

t.test(
  'the CommBox key rotates under continuous logins: none fails, the new key is used from the reload on',
  async (t) => {
    const { s, secret } = await stackWithKeyFile(t, { SECRET_RELOAD_INTERVAL_SEC: 'off', RATE_LIMIT_MAX: '0' });
    const oldKey = s.sandbox.apiKey;
    const logins = continuousLogins(s.base, s.sandbox.loginUrl);
    await until(() => logins.ok() >= 5);
    // The overlap: CommBox accepts both keys while the new one is written and read.
    s.sandbox.apiKeys.add(NEW_KEY);
    secret.update({ 'commbox-api-key': NEW_KEY });
    await s.secretReload.reload();
    const reloadedAt = s.sandbox.requests.length;
    s.sandbox.apiKeys.delete(oldKey);
    const revokedAt = logins.ok();
    await until(() => logins.ok() >= revokedAt + 10);
    await logins.stop();
    t.same(logins.failures, [], 'no login failed');
    // A request sent with the old key just before the reload can reach CommBox after the
    // revocation: that one is refused, and the login goes on with the key read again.
    const refused = s.sandbox.requests.filter((r) => r.status === 401);
    t.ok(
      refused.every((r) => r.authorization === `Bearer ${oldKey}`),
      'only a request sent with the old key was refused',
    );
    const after = s.sandbox.requests.slice(reloadedAt);
    t.ok(after.filter((r) => r.authorization === `Bearer ${NEW_KEY}`).length >= 10);
    t.ok(
      after.slice(-10).every((r) => r.authorization === `Bearer ${NEW_KEY}` && r.status === 200),
      'the requests after the reload carry the new key',
    );
    t.match(auditEvents(s, 'secret_reloaded'), [{ secret: 'COMMBOX_API_KEY_FILE', msg: 'secret reloaded' }]);
    t.notOk(s.logs.text.includes(NEW_KEY) || s.audit.text.includes(NEW_KEY), 'the new key is in no log line');
  },
);

t.test(
  'a CommBox 401 reads the key file once: a key already written is used at once, one extra request at most',
  async (t) => {
    // The poll would not notice for an hour: only the 401 makes the bridge read the file.
    const { s, secret } = await stackWithKeyFile(t, { SECRET_RELOAD_INTERVAL_SEC: '3600' });
    const login = () => new Browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    const oldKey = s.sandbox.apiKey;

    // CommBox revoked the old key; the file already holds the new one.
    s.sandbox.apiKeys.clear();
    s.sandbox.apiKeys.add(NEW_KEY);
    secret.update({ 'commbox-api-key': NEW_KEY });
    let before = s.sandbox.requests.length;
    t.ok((await login()).stoppedAt, 'the login reaches CommBox');
    t.same(
      s.sandbox.requests.slice(before).map((r) => [r.authorization, r.status]),
      [
        [`Bearer ${oldKey}`, 401],
        [`Bearer ${NEW_KEY}`, 200],
      ],
      'refused with the old key, then issued with the new one',
    );
    t.match(auditEvents(s, 'secret_reloaded'), [{ secret: 'COMMBOX_API_KEY_FILE' }]);
    before = s.sandbox.requests.length;
    t.ok((await login()).stoppedAt);
    t.equal(s.sandbox.requests.length - before, 1, 'the next login sends one request, with the new key');

    // Revoked again, the file unchanged: refused after one request, none repeated.
    s.sandbox.apiKeys.clear();
    before = s.sandbox.requests.length;
    const refused = await login();
    t.notOk(refused.stoppedAt);
    t.match(refused.last.body, /\(commbox_unauthorized\)/);
    t.equal(s.sandbox.requests.length - before, 1, 'an unchanged file sends no second request');

    // A new key CommBox does not accept either: one extra request, never more.
    secret.update({ 'commbox-api-key': `${NEW_KEY}-also-revoked` });
    before = s.sandbox.requests.length;
    t.match((await login()).last.body, /\(commbox_unauthorized\)/);
    t.equal(s.sandbox.requests.length - before, 2, 'one extra request per login at most');
  },
);

t.test('the cookie secret rotates: a login started before completes after, with zero failures', async (t) => {
  let secret!: ReturnType<typeof mountedSecret>;
  const s = await startHostileStack({
    env: () => {
      secret = mountedSecret(t, { 'cookie-secret': COOKIE_SECRET });
      return {
        COOKIE_SECRET: '',
        COOKIE_SECRET_FILE: secret.path('cookie-secret'),
        SECRET_RELOAD_INTERVAL_SEC: 'off',
        RATE_LIMIT_MAX: '0',
      };
    },
  });
  t.teardown(() => s.close());
  // Started before the rotation: its cookie is sealed with the old secret; it stops at the IdP.
  const b = new Browser();
  const started = await b.walk(`${s.base}/login`, { stopAt: s.idp.issuer });
  t.ok(started.stoppedAt, 'the login is at the IdP');
  const logins = continuousLogins(s.base, s.sandbox.loginUrl);
  await until(() => logins.ok() >= 5);
  secret.update({ 'cookie-secret': NEW_COOKIE_SECRET });
  await s.secretReload.reload();
  const rotatedAt = logins.ok();
  await until(() => logins.ok() >= rotatedAt + 10);
  await logins.stop();
  const finished = await b.walk(started.stoppedAt!, { stopAt: s.sandbox.loginUrl });
  t.ok(finished.stoppedAt, 'the login started before the rotation completes after it');
  t.same(logins.failures, [], 'no login failed');
  t.match(auditEvents(s, 'secret_reloaded'), [{ secret: 'COOKIE_SECRET_FILE' }]);
  t.notOk(s.logs.text.includes(NEW_COOKIE_SECRET) || s.audit.text.includes(NEW_COOKIE_SECRET));
});

t.test(
  'the client secret rotates: the IdP gets the new one at the next code exchange, a login started before completes',
  async (t) => {
    let secret!: ReturnType<typeof mountedSecret>;
    const s = await startDemoStack({
      env: () => {
        secret = mountedSecret(t, { 'client-secret': 'demo-client-secret-0123456789' });
        return {
          OIDC_CLIENT_SECRET: '',
          OIDC_CLIENT_SECRET_FILE: secret.path('client-secret'),
          SECRET_RELOAD_INTERVAL_SEC: 'off',
        };
      },
    });
    t.teardown(() => s.close());
    const loginUrl = s.sandbox.loginUrl;
    t.ok((await signInWithForm(s.browser(), `${s.base}/login`, 'alice', loginUrl)).stoppedAt, 'a login before');
    // Started before: at the IdP's sign-in form.
    const early = s.browser();
    const form = await early.walk(`${s.base}/login`, { stopAt: loginUrl });
    t.match(form.last.url, /\/interaction\//);

    s.idp.clientSecrets.add(NEW_CLIENT_SECRET);
    secret.update({ 'client-secret': NEW_CLIENT_SECRET });
    await s.secretReload.reload();
    s.idp.clientSecrets.delete(s.idp.clientSecret);

    t.ok((await submitLoginForm(early, form.last, 'bob', loginUrl)).stoppedAt, 'the login started before completes');
    t.ok((await signInWithForm(s.browser(), `${s.base}/login`, 'alice', loginUrl)).stoppedAt, 'a login after');
    t.match(auditEvents(s, 'secret_reloaded'), [{ secret: 'OIDC_CLIENT_SECRET_FILE', idp: 'default' }]);
    t.notOk(s.logs.text.includes(NEW_CLIENT_SECRET) || s.audit.text.includes(NEW_CLIENT_SECRET));
  },
);

t.test(
  'a bad new value, a file gone or empty keeps the previous value: logins go on, the failure is said once',
  async (t) => {
    let secret!: ReturnType<typeof mountedSecret>;
    const s = await startHostileStack({
      env: (sandbox) => {
        secret = mountedSecret(t, { 'cookie-secret': COOKIE_SECRET, 'commbox-api-key': sandbox.apiKey });
        return {
          COOKIE_SECRET: '',
          COOKIE_SECRET_FILE: secret.path('cookie-secret'),
          COMMBOX_API_KEY: '',
          COMMBOX_API_KEY_FILE: secret.path('commbox-api-key'),
          SECRET_RELOAD_INTERVAL_SEC: 'off',
        };
      },
    });
    t.teardown(() => s.close());
    const login = () => new Browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    const failures = async () =>
      await s.bridge.metrics.registry.getSingleMetricAsString('commbox_bridge_secret_reload_failures_total');
    t.match(
      await failures(),
      /commbox_bridge_secret_reload_failures_total\{secret="COOKIE_SECRET_FILE"\} 0/,
      'at 0 from the start',
    );
    const refusedNow = async () =>
      await s.bridge.metrics.registry.getSingleMetricAsString('commbox_bridge_secret_refused');
    t.match(await refusedNow(), /commbox_bridge_secret_refused\{secret="COOKIE_SECRET_FILE"\} 0/);

    const weak = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    secret.update({ 'cookie-secret': weak, 'commbox-api-key': '' });
    await s.secretReload.reload();
    await s.secretReload.reload(); // the same bad contents: not said again
    t.ok((await login()).stoppedAt, 'logins go on with the previous values');
    const refused = auditEvents(s, 'secret_reload_failed');
    t.match(refused, [
      { secret: 'COMMBOX_API_KEY_FILE', problem: /COMMBOX_API_KEY_FILE: the file .* is empty/ },
      {
        secret: 'COOKIE_SECRET_FILE',
        problem: /^COOKIE_SECRET: .*openssl rand/,
        msg: 'secret reload failed: kept the previous value',
      },
    ]);
    t.equal(refused.length, 2, 'each said once');
    t.match(
      s.logs.find((l) => l['event'] === 'secret_reload_failed' && l['secret'] === 'COOKIE_SECRET_FILE'),
      {
        level: 50,
        msg: /^COOKIE_SECRET_FILE: the new content is not used \(.*\); the previous value is kept$/,
      },
    );
    t.match(await failures(), /\{secret="COOKIE_SECRET_FILE"\} 2/, 'counted at each read while it lasts');
    t.match(
      await refusedNow(),
      /\{secret="COMMBOX_API_KEY_FILE"\} 1\n.*\{secret="COOKIE_SECRET_FILE"\} 1/,
      'refused: 1 while it lasts (what the alert reads)',
    );
    // A refused value is hidden too, from the moment it is read: a library's error may quote it.
    s.app.log.warn({ detail: `upstream said: ${weak}` }, `echo ${weak}`);
    t.match(s.logs.text, /upstream said: \[redacted\]/);
    t.notOk(s.logs.text.includes(weak) || s.audit.text.includes(weak), 'the refused value is in no log line');
    t.equal(auditEvents(s, 'secret_reloaded').length, 0, 'nothing reloaded');

    // Gone: the link points nowhere.
    rmSync(secret.path('cookie-secret'));
    await s.secretReload.reload();
    t.match(auditEvents(s, 'secret_reload_failed').at(-1), {
      secret: 'COOKIE_SECRET_FILE',
      problem: /cannot read .*ENOENT/,
    });
    t.ok((await login()).stoppedAt, 'logins go on');

    // Back to the values in use: nothing refused any more, nothing reloaded either.
    secret.update({ 'cookie-secret': COOKIE_SECRET, 'commbox-api-key': s.sandbox.apiKey });
    await s.secretReload.reload();
    t.match(await refusedNow(), /\{secret="COMMBOX_API_KEY_FILE"\} 0\n.*\{secret="COOKIE_SECRET_FILE"\} 0/);
    t.equal(auditEvents(s, 'secret_reloaded').length, 0);
  },
);

t.test('with SECRET_RELOAD_INTERVAL_SEC the files are read again by themselves', async (t) => {
  const { s, secret } = await stackWithKeyFile(t, { SECRET_RELOAD_INTERVAL_SEC: '1' });
  s.sandbox.apiKeys.add(NEW_KEY);
  secret.update({ 'commbox-api-key': NEW_KEY });
  await until(() => auditEvents(s, 'secret_reloaded').length === 1, 10_000);
  const before = s.sandbox.requests.length;
  t.ok((await new Browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  t.equal(s.sandbox.requests[before]?.authorization, `Bearer ${NEW_KEY}`, 'the first request carries the new key');
  const loaded = await s.bridge.metrics.registry.getSingleMetricAsString(
    'commbox_bridge_secret_loaded_timestamp_seconds',
  );
  t.match(loaded, /commbox_bridge_secret_loaded_timestamp_seconds\{secret="COMMBOX_API_KEY_FILE"\} \d{10}/);
});

t.test('a new secret value is scrubbed from every log line from the moment it is read', async (t) => {
  const { s, secret } = await stackWithKeyFile(t, { SECRET_RELOAD_INTERVAL_SEC: 'off' });
  secret.update({ 'commbox-api-key': NEW_KEY });
  await s.secretReload.reload();
  // As a library's error message might carry it.
  s.app.log.warn({ detail: `upstream said: ${NEW_KEY}` }, `echo ${NEW_KEY}`);
  t.match(s.logs.text, /upstream said: \[redacted\]/);
  t.notOk(s.logs.text.includes(NEW_KEY));
});

t.test(
  'one user that cannot take its new value leaves the others in use and said; it is tried again at the next read',
  async (t) => {
    const files = new Map([
      ['/run/secrets/commbox-api-key', 'old-commbox-api-key-0123'],
      ['/run/secrets/client-secret', 'old-client-secret-0123'],
    ]);
    const keys: string[] = [];
    let failing = true;
    const { reload, logs, registry } = secretReloadInMemory(
      files,
      {
        COMMBOX_API_KEY: '',
        COMMBOX_API_KEY_FILE: '/run/secrets/commbox-api-key',
        OIDC_CLIENT_SECRET: '',
        OIDC_CLIENT_SECRET_FILE: '/run/secrets/client-secret',
      },
      {
        commbox: { setApiKey: (key) => void keys.push(key), whenUnauthorized() {} },
        oidc: new Map([
          [
            'default',
            {
              setCredentials: async () => {
                if (failing) throw new Error('the key could not be imported');
              },
            },
          ],
        ]),
      },
    );
    files.set('/run/secrets/commbox-api-key', 'new-commbox-api-key-4567');
    files.set('/run/secrets/client-secret', 'new-client-secret-4567');
    await reload.reload();
    t.same(keys, ['new-commbox-api-key-4567'], 'the CommBox key is in use');
    t.match(
      logs.entries.filter((l) => String(l['event']).startsWith('secret_')),
      [
        { event: 'secret_reloaded', secret: 'COMMBOX_API_KEY_FILE' },
        { event: 'secret_reload_failed', secret: 'OIDC_CLIENT_SECRET_FILE', problem: /could not take it/ },
        { event: 'secret_reload_failed', secret: 'OIDC_CLIENT_SECRET_FILE' },
      ],
      'the key said in use, the client secret said refused (application line and audit line)',
    );
    t.match(
      await registry.getSingleMetricAsString('commbox_bridge_secret_refused'),
      /\{secret="COMMBOX_API_KEY_FILE"\} 0\n.*\{secret="OIDC_CLIENT_SECRET_FILE"\} 1/,
    );

    failing = false;
    await reload.reload();
    t.same(keys, ['new-commbox-api-key-4567'], 'the key, in use, is not handed over again');
    t.match(logs.entries.at(-1), { event: 'secret_reloaded', secret: 'OIDC_CLIENT_SECRET_FILE' }, 'tried again');
  },
);

t.test('a CommBox 401 reads the key file alone: it never waits on a new Redis that takes its time', async (t) => {
  const files = new Map([
    ['/run/secrets/commbox-api-key', 'first-commbox-api-key-01'],
    ['/run/secrets/redis-url', 'redis://127.0.0.1:6379'],
  ]);
  const keys: string[] = [];
  let onUnauthorized: (() => Promise<void>) | undefined;
  let redisTries = 0;
  const { reload } = secretReloadInMemory(
    files,
    {
      COMMBOX_API_KEY: '',
      COMMBOX_API_KEY_FILE: '/run/secrets/commbox-api-key',
      REDIS_URL_FILE: '/run/secrets/redis-url',
    },
    {
      commbox: { setApiKey: (key) => void keys.push(key), whenUnauthorized: (f) => void (onUnauthorized = f) },
      // A new Redis that does not get ready (a real try ends at its own deadline, seconds later).
      redis: { useUrl: () => (redisTries++, new Promise(() => {})) },
    },
  );
  files.set('/run/secrets/redis-url', 'redis://127.0.0.1:6380');
  void reload.reload(); // a full read, waiting on the new Redis
  t.equal(redisTries, 1);

  // Meanwhile CommBox revoked the old key, and a login got a 401.
  files.set('/run/secrets/commbox-api-key', 'second-commbox-api-key-02');
  let timer: NodeJS.Timeout | undefined;
  const answered = await Promise.race([
    onUnauthorized!().then(() => 'read'),
    new Promise((r) => (timer = setTimeout(() => r('still waiting'), 2000))),
  ]);
  clearTimeout(timer);
  t.equal(answered, 'read', "the 401's read did not join the full one");
  t.same(keys, ['second-commbox-api-key-02'], 'the new key is in use for the retry');
  t.equal(redisTries, 1, 'the 401 did not try the new Redis');
});

t.test('a refusal is said again when its reason changes, not at every read', async (t) => {
  const files = new Map([['/run/secrets/redis-url', 'redis://127.0.0.1:6379']]);
  const answers = ['connect ECONNREFUSED', 'connect ECONNREFUSED', 'WRONGPASS invalid username-password pair'];
  const { reload, logs } = secretReloadInMemory(
    files,
    { REDIS_URL_FILE: '/run/secrets/redis-url' },
    { redis: { useUrl: async () => ({ ok: false, detail: answers.shift()! }) } },
  );
  files.set('/run/secrets/redis-url', 'redis://127.0.0.1:6380');
  for (let i = 0; i < 3; i++) await reload.reload();
  t.match(
    logs.entries.filter((l) => l['event'] === 'secret_reload_failed' && l['level'] === 50),
    [{ problem: /ECONNREFUSED/ }, { problem: /WRONGPASS/ }],
  );
  t.equal(logs.entries.filter((l) => l['event'] === 'secret_reload_failed' && l['level'] === 50).length, 2);
});
