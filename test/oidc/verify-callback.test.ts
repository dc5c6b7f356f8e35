/**
 * Where the claims of a login come from: the ID token, a verified JWT access
 * token (ACCESS_TOKEN_CLAIMS), then userinfo, an earlier source winning;
 * namespaced claim names read whole; a userinfo answer for another `sub`
 * refused.
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

t.test('a userinfo answer for another sub refuses even when nothing required is missing', async (t) => {
  const s = await startHostileStack({ env: { MAP_FIRST_NAME: 'nickname' } });
  t.teardown(() => s.close());
  s.idp.mode = 'userinfo-other-sub';
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 502);
  t.match(r.last.body, /\(userinfo_sub_mismatch\)/);
  t.equal(s.ticketRequests(), 0);
});
