/**
 * Where the claims of a login come from: the ID token, a verified JWT access
 * token (ACCESS_TOKEN_CLAIMS), userinfo, in that order; namespaced claim names;
 * and a userinfo failure that refuses only when a required claim is missing.
 */
import t from 'tap';
import { startHostileStack } from '../helpers/stack.js';

const ROLES = { GROUPS_CLAIM: 'realm_access.roles', ALLOWED_GROUPS: 'commbox-agents' };

t.test('namespaced claims (Auth0): a name with dots and slashes is read whole', async (t) => {
  const s = await startHostileStack({
    env: {
      GROUPS_CLAIM: 'https://example.com/roles',
      ALLOWED_GROUPS: 'commbox-agents',
      MAP_USERNAME: 'https://example.com/username',
    },
  });
  t.teardown(() => s.close());
  Object.assign(s.idp.users['alice']!, {
    'https://example.com/roles': ['commbox-agents'],
    'https://example.com/username': 'alice.ns',
  });
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(r.stoppedAt, 'lands in CommBox');
  t.match(s.sandbox.requests[0]!.body, { data: { username: 'alice.ns' } });
  t.equal(s.idp.stats.userinfo, 0, 'everything was in the ID token: no userinfo request');
});

t.test('ACCESS_TOKEN_CLAIMS: Keycloak roles in the access token', async (t) => {
  const s = await startHostileStack({ env: { ...ROLES, ACCESS_TOKEN_CLAIMS: 'true' } });
  t.teardown(() => s.close());
  s.idp.accessTokenJwt = { claims: { realm_access: { roles: ['commbox-agents'] }, preferred_username: 'mallory' } };
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(r.stoppedAt, 'the roles from the access token let alice in');
  t.match(s.sandbox.requests[0]!.body, { data: { username: 'alice' } }, 'the ID token wins over the access token');
  t.match(
    s.logs.find((e) => e['msg'] === 'login completed'),
    { accessTokenClaims: 'read' },
  );

  for (const tamper of ['sig', 'sub', 'exp', 'iss', 'alg'] as const) {
    s.idp.accessTokenJwt = { claims: { realm_access: { roles: ['commbox-agents'] } }, tamper };
    const bad = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(bad.last.status, 403, `an access token with a bad ${tamper} contributes nothing`);
    t.match(bad.last.body, /\(group_not_allowed\)/);
  }
  s.idp.accessTokenJwt = undefined;
  const opaque = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(opaque.last.status, 403, 'an opaque access token contributes nothing');
  t.equal(s.ticketRequests(), 1, 'only the verified roles got a ticket');
});

t.test('without ACCESS_TOKEN_CLAIMS the access token is never read', async (t) => {
  const s = await startHostileStack({ env: ROLES });
  t.teardown(() => s.close());
  s.idp.accessTokenJwt = { claims: { realm_access: { roles: ['commbox-agents'] } } };
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 403);
  t.equal(s.ticketRequests(), 0);
});

t.test('userinfo failing: the login goes on when only optional claims are missing, without them', async (t) => {
  const s = await startHostileStack({ env: { MAP_FIRST_NAME: 'nickname' } });
  t.teardown(() => s.close());
  s.idp.mode = 'userinfo-503';
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(r.stoppedAt, 'lands in CommBox');
  t.equal(s.idp.stats.userinfo, 1, 'userinfo was asked (nickname is missing) and failed');
  t.same(s.sandbox.requests[0]!.body, {
    data: {
      brand: 'acme',
      username: 'alice',
      email: 'alice@example.com',
      lastName: 'Liddell',
      phone1: '+442501234567',
      oneTimeUse: true,
    },
  });
  t.match(
    s.logs.find((e) => e['event'] === 'userinfo_failed'),
    { level: 40, check: 'userinfo.status' },
  );
  t.match(
    s.logs.find((e) => e['msg'] === 'login completed'),
    { userinfo: 'failed' },
  );
});

t.test('userinfo failing: refused when a required claim is still missing, naming it', async (t) => {
  for (const [env, missing] of [
    [{ MAP_USERNAME: 'employee_id' }, 'employee_id'],
    [{ ALLOWED_GROUPS: 'commbox-agents', GROUPS_CLAIM: 'roles' }, 'roles'],
    [{ REQUIRE_VERIFIED_EMAIL: 'true' }, 'email_verified'],
  ] as const) {
    const s = await startHostileStack({ env });
    s.idp.mode = 'userinfo-503';
    if (missing === 'email_verified') delete s.idp.users['alice']!['email_verified'];
    const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 502, missing);
    t.match(r.last.body, /\(userinfo_failed\)/);
    t.match(
      s.logs.find((e) => e['reason'] === 'userinfo_failed'),
      { detail: new RegExp(`still missing without it: .*${missing}`) },
    );
    t.equal(s.ticketRequests(), 0);
    await s.close();
  }
});

t.test('a userinfo answer for another sub refuses even when nothing required is missing', async (t) => {
  const s = await startHostileStack({ env: { MAP_FIRST_NAME: 'nickname' } });
  t.teardown(() => s.close());
  s.idp.mode = 'userinfo-other-sub';
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 502);
  t.match(r.last.body, /\(userinfo_sub_mismatch\)/);
  t.equal(s.ticketRequests(), 0);
});

t.test('DRY_RUN: the whole flow runs, and the callback previews the ticket request instead of making it', async (t) => {
  const s = await startHostileStack({
    env: {
      DRY_RUN: 'true',
      ALLOWED_GROUPS: 'commbox-agents',
      ALLOWED_EMAIL_DOMAINS: 'example.com',
      MAP_FIRST_NAME: 'nickname',
    },
  });
  t.teardown(() => s.close());
  t.match(
    s.logs.find((e) => e['event'] === 'dry_run'),
    { level: 40 },
    'start-up warns',
  );
  const ready = await s.browser().fetch(`${s.base}/readyz`);
  t.match(JSON.parse(ready.body), { status: 'ready', mode: /dry run/ });

  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.notOk(r.stoppedAt, 'not sent to CommBox');
  t.equal(r.last.status, 200);
  t.equal(r.last.headers['cache-control'], 'no-store');
  t.match(r.last.body, /Dry run: no ticket was requested/);
  t.match(r.last.body, /<code>username<\/code><\/th><td><code>&quot;alice&quot;<\/code>/);
  t.match(r.last.body, /<code>brand<\/code><\/th><td><code>&quot;acme&quot;/);
  t.match(r.last.body, /<code>oneTimeUse<\/code><\/th><td><code>true/);
  t.match(r.last.body, /ALLOWED_GROUPS: member of commbox-agents/);
  t.match(r.last.body, /ALLOWED_EMAIL_DOMAINS: .*example\.com/);
  t.match(r.last.body, /<code>groups \(id token\)<\/code>/);
  t.match(r.last.body, /<code>nickname|<code>email \(id token\)/);
  t.notMatch(r.last.body, /<code>firstName/, 'a field that maps to nothing is not in the request');
  t.equal(s.ticketRequests(), 0, 'no ticket was requested');
  for (const secret of [...s.idp.issued, s.sandbox.apiKey, s.idp.clientSecret])
    t.notOk(r.last.body.includes(secret), 'no code, token or secret on the page');
  t.match(
    s.logs.find((e) => e['reason'] === 'dry_run'),
    { event: 'login', username: 'alice' },
  );

  // Refusals stay refusals.
  s.idp.user = 'bob';
  const bob = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(bob.last.status, 403);
  t.match(bob.last.body, /\(group_not_allowed\)/);

  // JSON when asked.
  s.idp.user = 'alice';
  const b = s.browser();
  const start = await b.walk(`${s.base}/login`, { stopAt: `${s.base}/callback` });
  const json = await b.fetch(start.stoppedAt!, { headers: { accept: 'application/json' } });
  t.match(JSON.parse(json.body), {
    dryRun: true,
    idp: 'default',
    ticketRequest: { username: 'alice', brand: 'acme' },
    rulesPassed: Array,
    claimNames: Array,
  });
  t.equal(s.ticketRequests(), 0);
});

t.test(
  'userinfo failing while email_verified is needed (#17): refused, naming it, for 500 and for no answer in time',
  async (t) => {
    for (const fault of ['status-500', 'hang'] as const) {
      await t.test(fault, async (t) => {
        const s = await startHostileStack({ env: { OIDC_TIMEOUT_MS: '500' } });
        t.teardown(() => s.close());
        s.idp.mode = 'email-verified-userinfo-only'; // the ID token has no email_verified
        s.idp.user = 'carol'; // userinfo would say false
        s.idp.userinfoFault = fault;
        const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
        t.notOk(r.stoppedAt, 'not sent to CommBox');
        t.equal(r.last.status, 502);
        t.match(r.last.body, /\(userinfo_failed\)/);
        t.match(
          s.logs.find((e) => e['reason'] === 'userinfo_failed'),
          {
            check: fault === 'hang' ? 'userinfo.request' : 'userinfo.status',
            detail: /still missing without it: email_verified$/,
          },
        );
        t.equal(s.idp.stats.userinfo, 1);
        t.equal(s.ticketRequests(), 0, 'no ticket');
      });
    }
  },
);

t.test('userinfo failing while email_verified is needed: ALLOW_UNVERIFIED_EMAIL=true does not need it', async (t) => {
  const s = await startHostileStack({ env: { ALLOW_UNVERIFIED_EMAIL: 'true', MAP_FIRST_NAME: 'nickname' } });
  t.teardown(() => s.close());
  s.idp.mode = 'email-verified-userinfo-only';
  s.idp.userinfoFault = 'status-500';
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(r.stoppedAt, 'lands in CommBox: nothing the login needs is missing');
  t.equal(s.idp.stats.userinfo, 1, 'userinfo was asked for nickname only');
});
