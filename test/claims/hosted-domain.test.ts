/**
 * ALLOWED_HOSTED_DOMAINS (Google Workspace): the ID token's own `hd` must be an
 * allowed domain; one allowed domain is also sent as `hd`.
 */
import t from 'tap';
import { signInWithForm, startDemoStack, startHostileStack } from '../helpers/stack.js';
import { DEMO_USERS } from '../../dev/idp.js';

t.test('ALLOWED_HOSTED_DOMAINS: the ID token hd must be allowed; absent or only in userinfo is refused', async (t) => {
  const s = await startHostileStack({ env: { ALLOWED_HOSTED_DOMAINS: 'example.com' } });
  t.teardown(() => s.close());
  s.idp.users['alice']!['hd'] = 'Example.com';
  t.ok(
    (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
    'hd Example.com (case-insensitive) passes',
  );
  t.equal(s.idp.lastAuthorize!['hd'], 'example.com', 'one allowed domain is sent as hd');

  s.idp.users['alice']!['hd'] = 'gmail.example';
  const other = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(other.last.status, 403);
  t.match(other.last.body, /\(hosted_domain_not_allowed\)/);
  t.match(other.last.body, /Use your company account/);

  delete s.idp.users['alice']!['hd'];
  const none = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(none.last.status, 403);
  t.match(s.logs.entries.filter((e) => e['reason'] === 'hosted_domain_not_allowed').pop(), { detail: /no "hd"/ });

  s.idp.users['alice']!['hd'] = 'example.com';
  s.idp.mode = 'userinfo-only-claims';
  const userinfoOnly = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(userinfoOnly.last.status, 403, 'hd from userinfo does not count');
  t.equal(s.ticketRequests(), 1, 'only the allowed account got a ticket');
});

t.test('oidc-provider: ALLOWED_HOSTED_DOMAINS sends hd and checks the ID token hd', async (t) => {
  const users = { alice: { ...DEMO_USERS['alice']!, hd: 'example.com' }, bob: { ...DEMO_USERS['bob']! } };
  const s = await startDemoStack({
    env: { ALLOWED_HOSTED_DOMAINS: 'example.com' },
    idp: { users, conformIdTokenClaims: false },
  });
  t.teardown(() => s.close());
  const hop = await s.browser().fetch(`${s.base}/login`);
  t.equal(new URL(hop.location!).searchParams.get('hd'), 'example.com');
  t.ok(
    (await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl)).stoppedAt,
    'a Workspace account lands',
  );
  const bob = await signInWithForm(s.browser(), `${s.base}/login`, 'bob', s.sandbox.loginUrl);
  t.equal(bob.last.status, 403, 'an account without hd is refused');
  t.match(bob.last.body, /\(hosted_domain_not_allowed\)/);
  t.equal(s.ticketRequests(), 1);
});
