/**
 * Several IdPs: each with its own client, rules, mapping and redirect URI, chosen
 * by path (/login/<name>) or by the issuer of a launcher tile.
 */
import t, { type Test } from 'tap';
import { parseConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { startHostileIdp } from './helpers/hostile-idp.js';
import { startHostileStack } from './helpers/stack.js';

async function twoIdps(t: Test, extra: Record<string, string> = {}) {
  const second = await startHostileIdp({ alg: 'ES256' });
  const s = await startHostileStack({
    env: {
      ALLOWED_GROUPS: 'commbox-agents',
      OIDC_IDPS: 'acquired',
      IDP_ACQUIRED_ISSUER: second.issuer,
      IDP_ACQUIRED_CLIENT_ID: second.clientId,
      IDP_ACQUIRED_CLIENT_SECRET: second.clientSecret,
      IDP_ACQUIRED_CLIENT_AUTH: 'client_secret_post',
      IDP_ACQUIRED_MAP_USERNAME: 'email|localpart|upper',
      IDP_ACQUIRED_ALLOWED_GROUPS: 'finance',
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
  t.match(s.sandbox.requests[1]!.body, { data: { username: 'BOB', email: 'bob@example.com' } }, 'its own mapping');
  t.match(s.logs.find((e) => e['msg'] === 'login completed' && e['idp'] === 'acquired'), { username: 'BOB' });

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

t.test('mix-up: an answer delivered at another IdP\'s callback is refused before any token request', async (t) => {
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
    PUBLIC_URL: 'https://bridge.example.com', OIDC_ISSUER: 'https://a.example.com', OIDC_CLIENT_ID: 'a', OIDC_CLIENT_SECRET: 'sa',
    COMMBOX_API_KEY: 'k', COMMBOX_BRAND: 'b', COMMBOX_LOGIN_URL: 'https://b.commbox.io/login', COOKIE_SECRET: 'c'.repeat(32),
    GROUPS_CLAIM: 'groups', ALLOWED_GROUPS: 'agents',
  };
  const c = parseConfig({ ...BASE, OIDC_IDPS: 'entra', IDP_ENTRA_ISSUER: 'https://login.example.net/t/v2.0', IDP_ENTRA_CLIENT_ID: 'e', IDP_ENTRA_CLIENT_SECRET: 'se', IDP_ENTRA_GROUPS_CLAIM: 'roles' });
  t.same(c.idps.map((i) => [i.name, i.loginPath, i.redirectUri]), [['default', '/login', 'https://bridge.example.com/callback'], ['entra', '/login/entra', 'https://bridge.example.com/callback/entra']]);
  const entra = c.idps[1]!;
  t.equal(entra.oidc.clientSecret, 'se');
  t.same(entra.access.groupsClaim, ['roles'], 'its own rule');
  t.same(entra.access.allowedGroups, ['agents'], 'inherited when not set');
  t.equal(c.idps[0]!.oidc.clientSecret, 'sa', 'the default IdP is as it was');
  const problems = (env: Record<string, string>) => {
    try {
      parseConfig({ ...BASE, ...env });
    } catch (e) {
      return Object.fromEntries((e as ConfigError).problems.map((p) => [p.variable, p.problem]));
    }
    return {};
  };
  const p = problems({ OIDC_IDPS: 'entra,Bad_Name,entra', IDP_ENTRA_ISSUER: 'http://login.example.net', IDP_ENTRA_MAP_USERNAME: 'x|nope' });
  t.match(p, {
    OIDC_IDPS: /"Bad_Name"|listed twice/,
    IDP_ENTRA_ISSUER: /https/,
    IDP_ENTRA_CLIENT_ID: /is required/,
    IDP_ENTRA_CLIENT_SECRET: /is required \(or IDP_ENTRA_CLIENT_SECRET_FILE\)/,
    IDP_ENTRA_MAP_USERNAME: /unknown transform/,
  });
  t.notOk('OIDC_CLIENT_ID' in p, 'the default IdP\'s settings are not blamed');
  t.match(problems({ OIDC_IDPS: 'twin', IDP_TWIN_ISSUER: 'https://a.example.com', IDP_TWIN_CLIENT_ID: 'x', IDP_TWIN_CLIENT_SECRET: 'y' }), { OIDC_IDPS: /same issuer/ });
});
