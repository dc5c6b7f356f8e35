/**
 * Several IdPs: each with its own client, rules, mapping and redirect URI, chosen
 * by path (/login/<name>) or by the issuer of a launcher tile.
 */
import t, { type Test } from 'tap';
import { parseConfig } from '../../src/config/parse.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';
import { startHostileIdp } from '../helpers/hostile-idp.js';
import { startEditedLogin, startHostileStack } from '../helpers/stack.js';

async function twoIdps(t: Test, extra: Record<string, string> = {}, opts: { issParameter?: boolean } = {}) {
  const second = await startHostileIdp({ alg: 'ES256', issParameter: opts.issParameter });
  // The acquired company's accounts live in its own domain.
  for (const u of Object.values(second.users))
    u['email'] = String(u['email']).replace('@example.com', '@acquired.example');
  const s = await startHostileStack({
    issParameter: opts.issParameter,
    env: {
      ALLOWED_GROUPS: 'commbox-agents',
      ALLOWED_EMAIL_DOMAINS: 'example.com',
      OIDC_IDPS: 'acquired',
      IDP_ACQUIRED_ISSUER: second.issuer,
      IDP_ACQUIRED_CLIENT_ID: second.clientId,
      IDP_ACQUIRED_CLIENT_SECRET: second.clientSecret,
      IDP_ACQUIRED_CLIENT_AUTH: 'client_secret_post',
      IDP_ACQUIRED_MAP_USERNAME: 'email|upper',
      IDP_ACQUIRED_ALLOWED_GROUPS: 'finance',
      IDP_ACQUIRED_ALLOWED_EMAIL_DOMAINS: 'acquired.example',
      ...extra,
    },
  });
  second.redirectUris = [`${s.base}/callback/acquired`];
  t.teardown(async () => {
    await s.close();
    await second.close();
  });
  return { s, second };
}

t.test('each IdP signs in with its own client, rules, mapping and redirect URI', async (t) => {
  const { s, second } = await twoIdps(t);
  const a = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(a.stoppedAt, 'the default IdP');
  t.equal(s.idp.lastAuthorize?.['redirect_uri'], `${s.base}/callback`);
  t.equal(s.idp.lastTokenAuth, 'basic');

  second.user = 'bob'; // in finance: allowed there, not at the default IdP
  const b = await s.browser().walk(`${s.base}/login/acquired`, { stopAt: s.sandbox.loginUrl });
  t.ok(b.stoppedAt, 'the acquired IdP');
  t.equal(second.lastAuthorize?.['redirect_uri'], `${s.base}/callback/acquired`, 'its own redirect URI');
  t.equal(second.lastTokenAuth, 'post', 'its own client authentication');
  t.match(
    s.sandbox.requests[1]!.body,
    { data: { username: 'BOB@ACQUIRED.EXAMPLE', email: 'bob@acquired.example' } },
    'its own mapping',
  );
  t.match(
    s.logs.find((e) => e['msg'] === 'login completed' && e['idp'] === 'acquired'),
    { username: 'BOB@ACQUIRED.EXAMPLE' },
  );

  second.user = 'alice'; // commbox-agents: allowed at the default IdP, not here
  const c = await s.browser().walk(`${s.base}/login/acquired`, { stopAt: s.sandbox.loginUrl });
  t.equal(c.last.status, 403, 'its own access rules');
  t.equal(s.ticketRequests(), 2);

  t.equal((await s.browser().fetch(`${s.base}/login/nope`)).status, 404);
});

t.test('a launcher tile picks the IdP by its issuer', async (t) => {
  const { s, second } = await twoIdps(t);
  second.user = 'bob';
  const q = new URLSearchParams({ iss: second.issuer, login_hint: 'bob' });
  const r = await s.browser().walk(`${s.base}/initiate?${q}`, { stopAt: s.sandbox.loginUrl });
  t.ok(r.stoppedAt);
  t.equal(second.stats.authorize, 1);
  t.equal(s.idp.stats.authorize, 0, 'the other IdP is never visited');
});

t.test("mix-up: an answer delivered at another IdP's callback is refused before any token request", async (t) => {
  const { s, second } = await twoIdps(t);
  const b = s.browser();
  const r = await b.walk(`${s.base}/login/acquired`, { stopAt: `${s.base}/callback` });
  t.match(r.stoppedAt, /\/callback\/acquired\?/);
  const moved = r.stoppedAt!.replace('/callback/acquired?', '/callback?');
  const refused = await b.fetch(moved);
  t.equal(refused.status, 400);
  t.match(refused.body, /\(iss_mismatch\)/);
  t.equal(second.stats.token + s.idp.stats.token, 0, 'no token request at either IdP');
  t.equal(s.ticketRequests(), 0);
});

t.test("mix-up without RFC 9207 iss: the bridge's own check refuses before any token request, both ways", async (t) => {
  // Neither IdP sends "iss" in its answer, so openid-client has nothing to
  // compare: the login's IdP, sealed in its cookie, is the only defence.
  const { s, second } = await twoIdps(t, {}, { issParameter: false });
  for (const [startAt, answerAt, movedTo] of [
    ['/login/acquired', '/callback/acquired?', '/callback?'],
    ['/login', '/callback?', '/callback/acquired?'],
  ] as const) {
    const b = s.browser();
    const r = await b.walk(`${s.base}${startAt}`, { stopAt: `${s.base}/callback` });
    t.ok(r.stoppedAt?.startsWith(`${s.base}${answerAt}`), `${startAt}: the IdP answers at its own callback`);
    t.notOk(new URL(r.stoppedAt!).searchParams.has('iss'), 'without "iss"');
    const before = s.logs.lines.length;
    const refused = await b.fetch(r.stoppedAt!.replace(answerAt, movedTo), { headers: { accept: 'application/json' } });
    t.equal(refused.status, 400, `${startAt}'s answer at ${movedTo.slice(0, -1)}: 400`);
    t.match(JSON.parse(refused.body), { error: 'iss_mismatch' });
    t.match(
      s.logs.entries.slice(before).find((e) => e['reason'] === 'iss_mismatch'),
      { check: 'redirect_uri', detail: /came back at the callback of/ },
      "the bridge's check fired, not the library's",
    );
  }
  t.equal(second.stats.token + s.idp.stats.token, 0, 'no token request at either IdP');
  t.equal(s.ticketRequests(), 0);

  // Control: the same answers at their own callbacks complete.
  second.user = 'bob';
  t.ok((await s.browser().walk(`${s.base}/login/acquired`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
  t.equal(s.ticketRequests(), 2);
});

t.test('readiness waits for every IdP', async (t) => {
  const { s, second } = await twoIdps(t);
  second.down = true;
  await s.bridge.oidc.discover();
  const r = await s.browser().fetch(`${s.base}/readyz`);
  t.equal(r.status, 503);
  t.match(JSON.parse(r.body), { problems: ['idp acquired: discovery and JWKS not loaded yet'] });
});

t.test('configuration of several IdPs', async (t) => {
  const BASE = {
    ...TWO_IDP_BASE,
    GROUPS_CLAIM: 'groups',
    ALLOWED_GROUPS: 'agents',
    ALLOWED_EMAIL_DOMAINS: 'a.example',
    IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: 'e.example',
  };
  const c = parseConfig({
    ...BASE,
    OIDC_IDPS: 'entra',
    IDP_ENTRA_ISSUER: 'https://login.example.net/t/v2.0',
    IDP_ENTRA_CLIENT_ID: 'e',
    IDP_ENTRA_CLIENT_SECRET: 'se',
    IDP_ENTRA_GROUPS_CLAIM: 'roles',
  });
  t.same(
    c.idps.map((i) => [i.name, i.loginPath, i.redirectUri]),
    [
      ['default', '/login', 'https://bridge.example.com/callback'],
      ['entra', '/login/entra', 'https://bridge.example.com/callback/entra'],
    ],
  );
  const entra = c.idps[1]!;
  t.equal(entra.oidc.clientSecret, 'se');
  t.same(entra.access.groupsClaim, ['roles'], 'its own rule');
  t.same(entra.access.allowedGroups, ['agents'], 'inherited when not set');
  t.equal(c.idps[0]!.oidc.clientSecret, 'sa', 'the default IdP is as it was');
  const problems = (env: Record<string, string>) => configProblems({ ...BASE, ...env });
  const p = problems({
    OIDC_IDPS: 'entra,Bad_Name,entra',
    IDP_ENTRA_ISSUER: 'http://login.example.net',
    IDP_ENTRA_MAP_USERNAME: 'x|nope',
  });
  t.match(p, {
    OIDC_IDPS: /"Bad_Name"|listed twice/,
    IDP_ENTRA_ISSUER: /https/,
    IDP_ENTRA_CLIENT_ID: /is required/,
    IDP_ENTRA_CLIENT_SECRET: /is required \(or IDP_ENTRA_CLIENT_SECRET_FILE\)/,
    IDP_ENTRA_MAP_USERNAME: /unknown transform/,
  });
  t.notOk('OIDC_CLIENT_ID' in p, "the default IdP's settings are not blamed");
  const twin = {
    OIDC_IDPS: 'twin',
    IDP_TWIN_ISSUER: 'https://a.example.com',
    IDP_TWIN_CLIENT_ID: 'x',
    IDP_TWIN_CLIENT_SECRET: 'y',
  };
  t.match(
    configProblems({
      ...TWO_IDP_BASE,
      ALLOWED_EMAIL_DOMAINS: 'a.example',
      IDP_TWIN_ALLOWED_EMAIL_DOMAINS: 't.example',
      ...twin,
    }),
    {
      OIDC_IDPS: /same issuer/,
    },
  );
});

t.test(
  "one IdP can never become another IdP's user: each has its own domains, and its usernames carry them",
  async (t) => {
    const { s, second } = await twoIdps(t, {
      IDP_ACQUIRED_MAP_USERNAME: 'preferred_username',
      IDP_ACQUIRED_ALLOWED_GROUPS: 'commbox-agents',
    });
    const refused = async (why: string, reason: string, user: Record<string, unknown>) => {
      second.users['mallory'] = {
        sub: `u-mallory-${reason}`,
        email_verified: true,
        groups: ['commbox-agents'],
        ...user,
      };
      second.user = 'mallory';
      const before = { tickets: s.ticketRequests(), token: second.stats.token };
      const r = await s.browser().walk(`${s.base}/login/acquired`, { stopAt: s.sandbox.loginUrl });
      t.equal(r.last.status, 403, `${why}: 403`);
      t.match(r.last.body, new RegExp(`\\(${reason}\\)`), `${why}: ${reason}`);
      t.equal(second.stats.token, before.token + 1, `${why}: refused after the sign-in was verified`);
      t.equal(s.ticketRequests(), before.tickets, `${why}: no ticket requested`);
      return r;
    };
    const plain = await refused('a plain username from an extra IdP', 'username_without_domain', {
      preferred_username: 'alice',
      email: 'mallory@acquired.example',
    });
    t.match(plain.last.body, /account name without a company domain/);
    t.match(
      s.logs.find((e) => e['reason'] === 'username_without_domain'),
      { idp: 'acquired', detail: /"alice" has no "@domain"/ },
    );
    await refused("the default IdP's email", 'email_domain_not_allowed', {
      preferred_username: 'mallory@acquired.example',
      email: 'alice@example.com',
    });
    await refused("a username in the default IdP's domain", 'email_domain_not_allowed', {
      preferred_username: 'alice@example.com',
      email: 'mallory@acquired.example',
    });
    await refused('a username with two @', 'email_domain_not_allowed', {
      preferred_username: 'alice@example.com@acquired.example',
      email: 'mallory@acquired.example',
    });

    second.users['mallory'] = {
      sub: 'u-mallory',
      preferred_username: 'mallory@acquired.example',
      email: 'mallory@acquired.example',
      email_verified: true,
      groups: ['commbox-agents'],
    };
    const ok = await s.browser().walk(`${s.base}/login/acquired`, { stopAt: s.sandbox.loginUrl });
    t.ok(ok.stoppedAt, 'its own user in its own domain signs in');
    t.match(s.sandbox.requests.at(-1)!.body, {
      data: { username: 'mallory@acquired.example', email: 'mallory@acquired.example' },
    });

    // And the default IdP cannot give out the acquired company's users either.
    s.idp.users['alice'] = { ...s.idp.users['alice']!, email: 'mallory@acquired.example' };
    const before = s.ticketRequests();
    const back = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(back.last.status, 403);
    t.match(back.last.body, /\(email_domain_not_allowed\)/);
    t.equal(s.ticketRequests(), before);
  },
);

t.test("chat goes through the default IdP only: another IdP's tile naming a chat route is a 400", async (t) => {
  const { s, second } = await twoIdps(t, { COMMBOX_CHAT_URL: 'http://127.0.0.1:1/chat', COMMBOX_CHAT_CHANNELS: '*' });
  const q = new URLSearchParams({ iss: second.issuer, target_link_uri: `${s.base}/chat/abc123` });
  const r = await s.browser().fetch(`${s.base}/initiate?${q}`);
  t.equal(r.status, 400);
  t.match(r.body, /\(initiate_bad_target\)/);
  t.match(
    s.logs.find((e) => e['reason'] === 'initiate_bad_target'),
    { detail: /default IdP only/ },
  );
  t.equal(second.stats.authorize + s.idp.stats.authorize, 0, 'no IdP is visited');
  t.equal(s.ticketRequests(), 0);
  const fromDefault = new URLSearchParams({ iss: s.idp.issuer, target_link_uri: `${s.base}/chat/abc123` });
  t.equal((await s.browser().fetch(`${s.base}/initiate?${fromDefault}`)).status, 302, "the default IdP's tile may");
});

t.test(
  'chat goes through the default IdP only, checked again at the callback: a chat login of another IdP gets no ticket',
  async (t) => {
    // /initiate refuses to start such a login (the first lock, above). Here the
    // login is started normally with the acquired IdP and its sealed transaction
    // re-sealed with a chat target (only a holder of COOKIE_SECRET can), so the
    // callback's own check is the only one left.
    const CHAT_URL = 'http://127.0.0.1:1/chat';
    const { s, second } = await twoIdps(t, { COMMBOX_CHAT_URL: CHAT_URL, COMMBOX_CHAT_CHANNELS: '*' });
    second.user = 'bob';
    const startWithTarget = async (target: string | undefined) => {
      const b = s.browser();
      const authorize = await startEditedLogin(s, b, `${s.base}/login/acquired`, (tx) => ({ ...tx, target }));
      const back = await b.fetch(authorize);
      t.match(back.location, `${s.base}/callback/acquired?`);
      return b.fetch(back.location!);
    };

    const control = await startWithTarget(undefined);
    t.equal(control.status, 302, 'control: the re-sealed transaction itself is accepted');
    t.match(control.location, `${s.sandbox.loginUrl}?ta=`);
    t.equal(s.ticketRequests(), 1);

    const tokensBefore = second.stats.token;
    const r = await startWithTarget('/chat/abc123');
    t.equal(r.status, 400, 'not sent into the chat');
    t.match(r.body, /\(initiate_bad_target\)/);
    t.match(
      s.logs.find((e) => e['reason'] === 'initiate_bad_target'),
      { idp: 'acquired', detail: /customer chat access goes through the default IdP only/ },
    );
    t.equal(second.stats.token, tokensBefore + 1, 'refused at the callback, after the sign-in was verified');
    t.equal(s.ticketRequests(), 1, 'no ticket for the chat login');
  },
);

t.test('configuration: every IdP needs its own email domains, none shared, never inherited', async (t) => {
  const BASE = {
    ...TWO_IDP_BASE,
    OIDC_IDPS: 'entra',
    IDP_ENTRA_ISSUER: 'https://login.example.net/t/v2.0',
    IDP_ENTRA_CLIENT_ID: 'e',
    IDP_ENTRA_CLIENT_SECRET: 'se',
  };
  const problems = (env: Record<string, string>) => configProblems({ ...BASE, ...env });
  const none = problems({});
  t.match(none, {
    ALLOWED_EMAIL_DOMAINS: /is required when OIDC_IDPS is set/,
    IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: /is required when OIDC_IDPS is set.*never inherited/,
  });
  t.match(
    problems({ ALLOWED_EMAIL_DOMAINS: 'corp.example' }),
    { IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: /is required/ },
    'not inherited from ALLOWED_EMAIL_DOMAINS',
  );
  t.match(
    problems({
      ALLOWED_EMAIL_DOMAINS: 'corp.example,shared.example',
      IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: 'Shared.example',
    }),
    {
      IDP_ENTRA_ALLOWED_EMAIL_DOMAINS:
        /"shared.example" is also allowed by ALLOWED_EMAIL_DOMAINS; a domain may belong to one IdP only/,
    },
  );
  t.match(
    problems({
      ALLOWED_EMAIL_DOMAINS: 'corp.example',
      IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: 'entra.example',
      IDP_ENTRA_MAP_USERNAME: 'upn|localpart',
    }),
    {
      IDP_ENTRA_MAP_USERNAME: /can never give a name@domain/,
    },
  );
  t.match(problems({ ALLOWED_EMAIL_DOMAINS: 'corp.example', IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: 'not a domain' }), {
    IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: /not a domain name/,
  });
  t.match(
    problems({ IDP_ENTRA_CLIENT_ID: '', ALLOWED_EMAIL_DOMAINS: 'corp.example' }),
    { IDP_ENTRA_CLIENT_ID: /required/, IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: /required/ },
    'reported even when the IdP has other problems',
  );
  const c = parseConfig({
    ...BASE,
    ALLOWED_EMAIL_DOMAINS: 'corp.example',
    IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: 'entra.example',
  });
  t.same(
    c.idps.map((i) => [i.name, i.access.allowedEmailDomains, i.access.usernameNeedsDomain]),
    [
      ['default', ['corp.example'], false],
      ['entra', ['entra.example'], true],
    ],
  );
  t.same(configProblems({ ...TWO_IDP_BASE, ALLOWED_GROUPS: 'agents' }), {}, 'a single IdP needs no domains');
});

t.test('phone1: an extra IdP never sends it; set for one, the start-up is refused', async (t) => {
  const BASE = {
    ...TWO_IDP_BASE,
    ALLOWED_GROUPS: 'agents',
    ALLOWED_EMAIL_DOMAINS: 'a.example',
    OIDC_IDPS: 'entra',
    IDP_ENTRA_ISSUER: 'https://login.example.net/t/v2.0',
    IDP_ENTRA_CLIENT_ID: 'e',
    IDP_ENTRA_CLIENT_SECRET: 'se',
    IDP_ENTRA_ALLOWED_EMAIL_DOMAINS: 'e.example',
  };
  const problems = (env: Record<string, string>) => configProblems({ ...BASE, ...env });
  t.match(problems({ IDP_ENTRA_MAP_PHONE: 'phone_number' }), {
    IDP_ENTRA_MAP_PHONE: /an extra IdP never sends phone1 .*remove it/,
  });
  t.match(problems({ IDP_ENTRA_MAP_EMAIL: '' }), {
    IDP_ENTRA_MAP_EMAIL: /identifies its agents by email: it never sends phone1/,
  });
  t.same(problems({ IDP_ENTRA_MAP_PHONE: '' }), {}, 'set empty: fine');
  const c = parseConfig({ ...BASE, MAP_PHONE: 'mobile' });
  t.equal(c.idps[0]!.mapping.phone?.source, 'mobile', 'the default IdP sends it');
  t.equal(c.idps[1]!.mapping.phone, undefined, 'the inherited MAP_PHONE is dropped for the extra IdP');
});

t.test(
  'phone1: the login path never sends it for an extra IdP, even if the configuration let one through',
  async (t) => {
    const { s, second } = await twoIdps(t);
    second.user = 'bob';
    second.users['bob']!['phone_number'] = '+442501234567'; // alice's number at the default IdP
    const extra = s.bridge.idps.get('acquired')!;
    t.equal(extra.config.mapping.phone, undefined, 'the configuration dropped it');
    // The first lock off: as if the configuration had kept the phone mapping.
    (extra.config.mapping as { phone: unknown }).phone = s.bridge.idps.get('default')!.config.mapping.phone;
    const r = await s.browser().walk(`${s.base}/login/acquired`, { stopAt: s.sandbox.loginUrl });
    t.ok(r.stoppedAt, 'the login goes on');
    t.same(s.sandbox.requests[0]!.body, {
      data: {
        brand: 'acme',
        username: 'BOB@ACQUIRED.EXAMPLE',
        email: 'bob@acquired.example',
        firstName: 'Bob',
        lastName: 'Builder',
        oneTimeUse: true,
      },
    });
    t.notOk('phone1' in (s.sandbox.requests[0]!.body as { data: object }).data, 'no phone1');

    s.idp.user = 'alice';
    t.ok((await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt);
    t.match(s.sandbox.requests[1]!.body, { data: { phone1: '+442501234567' } }, 'the default IdP still sends it');
  },
);
