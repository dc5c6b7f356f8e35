/**
 * `check-config` in-process: the proxy it will use, CommBox reachability (no
 * ticket asked), the rules and mapping each IdP's logins get, and whether it
 * can use Redis.
 */
import t from 'tap';
import { checkConfig } from '../src/check-config.js';
import { parseConfig } from '../src/config/parse.js';
import { startSandbox } from '../dev/commbox-sandbox.js';
import { startHostileIdp } from './helpers/hostile-idp.js';
import { startProxy } from './helpers/proxy.js';
import { startRedis } from './helpers/redis.js';
import { COOKIE_SECRET, freePort, startHostileStack } from './helpers/stack.js';

async function run(env: Record<string, string>) {
  const lines: string[] = [];
  const code = await checkConfig(parseConfig(env), (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

t.test('check-config reports the proxy, CommBox, and the rules and mapping; asks for no ticket', async (t) => {
  const idp = await startHostileIdp();
  const sandbox = await startSandbox({ brand: 'acme' });
  const proxy = await startProxy();
  t.teardown(async () => {
    await idp.close();
    await sandbox.close();
    await proxy.close();
  });
  const env = {
    PUBLIC_URL: 'https://bridge.example.com',
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    COMMBOX_API_URL: sandbox.url,
    COMMBOX_API_KEY: sandbox.apiKey,
    COMMBOX_BRAND: 'acme',
    COMMBOX_LOGIN_URL: sandbox.loginUrl,
    COOKIE_SECRET,
    ALLOWED_GROUPS: 'commbox-agents',
    ALLOWED_EMAIL_DOMAINS: 'example.com',
    MAP_USERNAME: 'email|lower',
  };
  const direct = await run(env);
  t.equal(direct.code, 0, direct.out);
  t.match(direct.out, /proxy: +none \(HTTP_PROXY and HTTPS_PROXY unset\)/);
  t.match(direct.out, /CommBox API: reachable \(HTTP \d+ at .*; no ticket asked\) \(direct\)/);
  t.match(
    direct.out,
    /access rules: +groups at groups include one of commbox-agents \(overage: refuse\); email domains example\.com; email_verified false refused/,
  );
  t.match(
    direct.out,
    /mapping: +username ← email\|lower, email ← email, firstName ← given_name, lastName ← family_name, phone1 ← phone_number, chat uniqueId ← sub/,
  );
  t.equal(sandbox.requests.length, 0, 'no ticket was asked');

  const proxied = await run({ ...env, HTTP_PROXY: `http://ops:pr0xy-pass@${new URL(proxy.url).host}` });
  t.equal(proxied.code, 0, proxied.out);
  t.match(
    proxied.out,
    /proxy: +HTTPS_PROXY \(unset\), HTTP_PROXY http:\/\/ops:\*\*\*@127\.0\.0\.1:\d+, NO_PROXY \(unset\)/,
  );
  t.match(proxied.out, /CommBox API: reachable .* \(through the proxy http:\/\/ops:\*\*\*@/);
  t.match(proxied.out, new RegExp(`IdP: ${idp.issuer} \\(through the proxy`));
  t.notMatch(proxied.out, /pr0xy-pass/, 'the proxy password is never printed');
  t.ok(proxy.seen.includes(new URL(sandbox.url).host), 'CommBox was reached through the proxy');

  const { ALLOWED_GROUPS: _g, ALLOWED_EMAIL_DOMAINS: _d, MAP_USERNAME: _u, ...unruled } = env;
  const open = await run({ ...unruled, ALLOW_ANY_AUTHENTICATED: 'true' });
  t.equal(open.code, 0, open.out);
  t.match(
    open.out,
    /WARNING: ALLOW_ANY_AUTHENTICATED=true and no access rule: EVERYONE this IdP signs in gets a CommBox ticket\./,
  );
  t.match(open.out, /Only the IdP's own app assignment limits who that is/);
  const beside = await run({ ...env, ALLOW_ANY_AUTHENTICATED: 'true' });
  t.match(beside.out, /note: ALLOW_ANY_AUTHENTICATED=true changes nothing here: the access rules below apply/);
  t.notMatch(beside.out, /WARNING: ALLOW_ANY/);
  t.notMatch(direct.out, /ALLOW_ANY_AUTHENTICATED/, 'said only when set');

  // An https PUBLIC_URL means a TLS proxy in front (the bridge speaks plain HTTP): without TRUST_PROXY, said loudly.
  t.match(
    direct.out,
    /\nWARNING: PUBLIC_URL is https and TRUST_PROXY is unset: the bridge speaks plain HTTP, so something terminates TLS in front of it; without TRUST_PROXY every client is that proxy: one rate-limit bucket and one failed-login budget for everyone, and the audit ip is the proxy's\./,
  );
  t.equal(direct.code, 0, 'a warning, not a failure');
  const trusted = await run({ ...env, TRUST_PROXY: '10.42.0.0/16' });
  t.match(trusted.out, /TRUST_PROXY: +10\.42\.0\.0\/16/);
  t.notMatch(trusted.out, /TRUST_PROXY is unset/);
  const plain = await run({ ...env, PUBLIC_URL: 'http://127.0.0.1:3000' });
  t.notMatch(plain.out, /TRUST_PROXY is unset/, 'a plain-HTTP PUBLIC_URL may be the bridge itself');

  const port = await freePort();
  const down = await run({ ...env, COMMBOX_API_URL: `http://127.0.0.1:${port}` });
  t.equal(down.code, 1);
  t.match(down.out, /CommBox API: FAILED: the connection to 127\.0\.0\.1:\d+ was refused/);
});

t.test('check-config connects to Redis and says whether it can', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const s = await startHostileStack({ env: { REDIS_URL: redis.url } });
  t.teardown(() => s.close());
  const run = async (env: Record<string, string>) => {
    const lines: string[] = [];
    const code = await checkConfig(parseConfig({ ...s.env, ...env }), (l) => lines.push(l));
    return { code, out: lines.join('\n') };
  };
  const good = await run({});
  t.equal(good.code, 0, good.out);
  t.match(good.out, /Redis: ok \(keys under "commbox-bridge:"\)/);
  await redis.stop();
  const bad = await run({});
  t.equal(bad.code, 1);
  t.match(bad.out, /Redis: FAILED: no connection within 5000 ms/);
});
