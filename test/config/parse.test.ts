import t from 'tap';
import { parseConfig } from '../../src/config/parse.js';
import { isLoopbackHost } from '../../src/config/urls.js';
import { ConfigError } from '../../src/errors.js';
import { configProblems, NO_RULES } from '../helpers/config.js';

const BASE = {
  PUBLIC_URL: 'https://commbox-sso.example.com',
  OIDC_ISSUER: 'https://idp.example.com/realms/corp',
  OIDC_CLIENT_ID: 'commbox',
  OIDC_CLIENT_SECRET: 'client-secret-value',
  COMMBOX_API_KEY: 'api-key-value',
  COMMBOX_BRAND: 'acme',
  COMMBOX_LOGIN_URL: 'https://acme.commbox.io/login',
  COOKIE_SECRET: 'test-cookie-secret-0123456789-abcdefghijkl',
  ALLOW_ANY_AUTHENTICATED: 'true',
};

const problems = configProblems;
/** Cookie secrets as `openssl rand -base64 32` writes them. */
const K_SECRET = 'kq0H7u2vXyA9pLrT5mWcZ3eN8sJfB1dG6hQiV4oR0tY=';
const O_SECRET = 'o8Fh2Kd9LmQ4rWt7Zx1Cv5Bn3Jg6Ys0Pa9Ue2Ri7Tq4=';

t.test('defaults', async (t) => {
  const c = parseConfig(BASE);
  t.equal(c.port, 3000);
  t.equal(c.host, '0.0.0.0');
  t.equal(c.idps[0]!.redirectUri, 'https://commbox-sso.example.com/callback');
  t.equal(c.secureCookies, true);
  t.equal(c.commbox.apiUrl, 'https://api.commbox.io');
  t.equal(c.commbox.timeoutMs, 5000);
  t.equal(c.idps[0]!.oidc.scopes, 'openid email profile');
  t.equal(c.idps[0]!.oidc.idTokenAlg, undefined);
  t.same(c.idps[0]!.access, NO_RULES, 'no access rules by default (everyone, explicitly)');
  t.equal(c.idps[0]!.mapping.username.source, 'preferred_username');
  t.equal(c.idps[0]!.mapping.email?.source, 'email');
  t.equal(c.idps[0]!.mapping.phone?.source, 'phone_number');
  t.equal(c.logLevel, 'info');
  t.equal(c.logFormat, 'json', "LOG_FORMAT: the bridge's own field names by default");
  t.equal(c.trustProxy, false);
});

t.test('every missing required variable is named in one error', async (t) => {
  const p = problems({});
  t.same(Object.keys(p).sort(), [
    'ALLOW_ANY_AUTHENTICATED',
    'COMMBOX_API_KEY',
    'COMMBOX_BRAND',
    'COMMBOX_LOGIN_URL',
    'COOKIE_SECRET',
    'OIDC_CLIENT_ID',
    'OIDC_CLIENT_SECRET',
    'OIDC_ISSUER',
    'PUBLIC_URL',
  ]);
  try {
    parseConfig({});
    t.fail('should throw');
  } catch (e) {
    t.match((e as Error).message, /^Invalid configuration \(9 problems\):\n {2}- PUBLIC_URL: is required\n/);
    t.equal((e as ConfigError).code, 'ERR_CONFIG');
  }
});

t.test('bad values, all reported together', async (t) => {
  const p = problems({
    ...BASE,
    PUBLIC_URL: 'not a url',
    OIDC_ISSUER: 'http://idp.example.com',
    COMMBOX_API_URL: 'http://api.commbox.io',
    COOKIE_SECRET: 'short',
    PORT: '70000',
    COMMBOX_TIMEOUT_MS: 'soon',
    OIDC_ID_TOKEN_ALG: 'HS256',
    OIDC_SCOPES: 'email profile',
    LOG_LEVEL: 'loud',
    LOG_FORMAT: 'xml',
    ALLOW_UNVERIFIED_EMAIL: 'maybe',
    MAP_USERNAME: 'email|shout',
    GROUPS_CLAIM: 'realm_access..roles',
    ALLOWED_EMAIL_DOMAINS: 'example.com, not a domain',
    TRUST_PROXY: '10.42.0.0/16,banana',
  });
  t.match(p, {
    PUBLIC_URL: /not an absolute URL/,
    OIDC_ISSUER: /must be https/,
    COMMBOX_API_URL: /must be https/,
    COOKIE_SECRET: /at least 32 characters \(has 5\)/,
    PORT: /0 to 65535/,
    COMMBOX_TIMEOUT_MS: /whole number/,
    OIDC_ID_TOKEN_ALG: /never accepted/,
    OIDC_SCOPES: /openid/,
    LOG_LEVEL: /one of/,
    LOG_FORMAT: /must be one of json, ecs/,
    ALLOW_UNVERIFIED_EMAIL: /true or false/,
    MAP_USERNAME: /unknown transform "shout"/,
    GROUPS_CLAIM: /not a dotted claim path/,
    ALLOWED_EMAIL_DOMAINS: /"not a domain"/,
    TRUST_PROXY: /"banana"/,
  });
  t.notOk(JSON.stringify(p).includes('short'), 'the secret value is not echoed');
});

t.test('alg none is refused; an unknown alg too', async (t) => {
  t.match(problems({ ...BASE, OIDC_ID_TOKEN_ALG: 'none' }), { OIDC_ID_TOKEN_ALG: /never accepted/ });
  t.match(problems({ ...BASE, OIDC_ID_TOKEN_ALG: 'XX1' }), { OIDC_ID_TOKEN_ALG: /not one of/ });
  t.equal(parseConfig({ ...BASE, OIDC_ID_TOKEN_ALG: 'ES256' }).idps[0]!.oidc.idTokenAlg, 'ES256');
});

t.test('http is accepted for loopback hosts only', async (t) => {
  const c = parseConfig({
    ...BASE,
    PUBLIC_URL: 'http://localhost:3000/',
    OIDC_ISSUER: 'http://127.0.0.1:4000',
    COMMBOX_API_URL: 'http://[::1]:5000',
    COMMBOX_LOGIN_URL: 'http://127.0.0.1:5000/login',
  });
  t.equal(c.secureCookies, false);
  t.equal(c.publicUrl, 'http://localhost:3000');
  t.equal(c.idps[0]!.redirectUri, 'http://localhost:3000/callback');
  t.match(problems({ ...BASE, PUBLIC_URL: 'http://bridge.internal' }), { PUBLIC_URL: /https/ });
  t.match(problems({ ...BASE, COMMBOX_LOGIN_URL: 'http://10.0.0.1/login' }), { COMMBOX_LOGIN_URL: /https/ });
  t.ok(isLoopbackHost('127.1.2.3'));
  t.notOk(isLoopbackHost('app.localhost'), 'a name under .localhost goes to the system resolver, which may ask DNS');
  t.notOk(isLoopbackHost('localhost.evil.com'));
  t.notOk(isLoopbackHost('128.0.0.1'));
});

t.test('URL hygiene', async (t) => {
  t.match(problems({ ...BASE, OIDC_ISSUER: 'https://user:pw@idp.example.com' }), { OIDC_ISSUER: /credentials/ });
  t.match(problems({ ...BASE, PUBLIC_URL: 'https://b.example.com/?x=1' }), { PUBLIC_URL: /query/ });
  t.match(problems({ ...BASE, COMMBOX_LOGIN_URL: 'https://acme.commbox.io/login?ta=abc' }), {
    COMMBOX_LOGIN_URL: /"ta"/,
  });
  t.equal(
    parseConfig({ ...BASE, COMMBOX_LOGIN_URL: 'https://acme.commbox.io/login?lang=en' }).commbox.loginUrl,
    'https://acme.commbox.io/login?lang=en',
  );
  t.equal(
    parseConfig({ ...BASE, PUBLIC_URL: 'https://intranet.example.com/commbox/' }).idps[0]!.redirectUri,
    'https://intranet.example.com/commbox/callback',
  );
});

t.test('lists, booleans, mappings and proxies', async (t) => {
  const c = parseConfig({
    ...BASE,
    ALLOWED_GROUPS: ' commbox-agents , /support ',
    GROUPS_CLAIM: 'realm_access.roles',
    ALLOWED_EMAIL_DOMAINS: '@Example.COM,corp.example.com',
    ALLOW_UNVERIFIED_EMAIL: 'yes',
    MAP_USERNAME: 'email|trim|lower',
    MAP_PHONE: '',
    TRUST_PROXY: '10.42.0.0/16',
  });
  t.same(c.idps[0]!.access.allowedGroups, ['commbox-agents', '/support']);
  t.same(c.idps[0]!.access.groupsClaim, ['realm_access', 'roles']);
  t.same(c.idps[0]!.access.allowedEmailDomains, ['example.com', 'corp.example.com']);
  t.equal(c.idps[0]!.access.allowUnverifiedEmail, true);
  t.equal(c.idps[0]!.access.requireVerifiedEmail, false);
  t.same(c.idps[0]!.mapping.username.transforms, ['trim', 'lower']);
  t.equal(c.idps[0]!.mapping.phone, undefined, 'an empty optional mapping switches the field off');
  t.same(c.trustProxy, ['10.42.0.0/16']);
  t.same(parseConfig({ ...BASE, TRUST_PROXY: '10.0.0.0/8, 192.168.1.1' }).trustProxy, ['10.0.0.0/8', '192.168.1.1']);
  t.match(problems({ ...BASE, MAP_EMAIL: '', MAP_PHONE: '' }), { MAP_EMAIL: /email or phone/ });
  t.match(problems({ ...BASE, MAP_USERNAME: '' }), {}, 'an empty MAP_USERNAME falls back to the default');
  t.equal(parseConfig({ ...BASE, REQUIRE_VERIFIED_EMAIL: 'true' }).idps[0]!.access.requireVerifiedEmail, true);
  t.match(problems({ ...BASE, REQUIRE_VERIFIED_EMAIL: 'true', ALLOW_UNVERIFIED_EMAIL: 'true' }), {
    REQUIRE_VERIFIED_EMAIL: /both true/,
  });
});

t.test('secrets from files (_FILE), and both set is an error', async (t) => {
  const files: Record<string, string> = {
    '/run/secrets/api': 'api-from-file\n',
    '/run/secrets/cookie': `${K_SECRET},${O_SECRET}\n`,
    '/run/secrets/empty': '\n',
  };
  const read = (p: string) => {
    if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return files[p]!;
  };
  const env = {
    ...BASE,
    COMMBOX_API_KEY: undefined,
    COOKIE_SECRET: undefined,
    COMMBOX_API_KEY_FILE: '/run/secrets/api',
    COOKIE_SECRET_FILE: '/run/secrets/cookie',
  };
  const c = parseConfig(env, read);
  t.equal(c.commbox.apiKey, 'api-from-file', 'the trailing newline is dropped');
  t.same(c.cookieSecrets, [K_SECRET, O_SECRET], 'a list of cookie secrets: the first seals, all open');
  const p = (() => {
    try {
      parseConfig(
        {
          ...BASE,
          COMMBOX_API_KEY_FILE: '/run/secrets/api',
          OIDC_CLIENT_SECRET: undefined,
          OIDC_CLIENT_SECRET_FILE: '/run/secrets/missing',
          COOKIE_SECRET: undefined,
          COOKIE_SECRET_FILE: '/run/secrets/empty',
        },
        read,
      );
    } catch (e) {
      return Object.fromEntries((e as ConfigError).problems.map((x) => [x.variable, x.problem]));
    }
    return {};
  })();
  t.match(p, {
    COMMBOX_API_KEY: /COMMBOX_API_KEY_FILE are both set/,
    OIDC_CLIENT_SECRET_FILE: /cannot read \/run\/secrets\/missing \(ENOENT\)/,
    COOKIE_SECRET_FILE: /is empty/,
  });
  t.match(problems({ ...BASE, OIDC_CLIENT_SECRET: undefined }), {
    OIDC_CLIENT_SECRET: /is required \(or OIDC_CLIENT_SECRET_FILE\)/,
  });
  t.match(problems({ ...BASE, COOKIE_SECRET: `${K_SECRET},short` }), {
    COOKIE_SECRET: /secret #2 must be at least 32/,
  });
});

t.test('operations settings', async (t) => {
  const c = parseConfig(BASE);
  t.equal(c.metricsPort, 9464, 'metrics on their own port by default, as Prometheus exporters do');
  t.equal(c.metricsHost, '127.0.0.1', 'on loopback by default');
  for (const host of ['0.0.0.0', '::', '10.1.2.3', 'fd00::2', 'localhost'])
    t.equal(parseConfig({ ...BASE, METRICS_HOST: host }).metricsHost, host);
  t.match(
    problems({ ...BASE, METRICS_HOST: 'metrics.example.com' }),
    {
      METRICS_HOST:
        /"metrics\.example\.com" is not an IP address: write the address to listen on \(127\.0\.0\.1 .*0\.0\.0\.0/,
    },
    'a host name is refused',
  );
  t.equal(parseConfig({ ...BASE, METRICS_PORT: 'off' }).metricsPort, undefined, 'off disables them');
  t.equal(parseConfig({ ...BASE, METRICS_PORT: 'OFF' }).metricsPort, undefined);
  t.match(problems({ ...BASE, METRICS_PORT: 'none' }), { METRICS_PORT: /whole number/ });
  t.match(
    problems({ ...BASE, PORT: '9464' }),
    { METRICS_PORT: /differ from PORT \(9464\), or be off/ },
    'the public port never serves them',
  );
  t.equal(c.shutdownGraceMs, 5000);
  t.equal(c.shutdownTimeoutMs, 20000);
  t.equal(c.rateLimitMax, 600, 'on by default, generous for a floor of agents behind one NAT address');
  t.equal(parseConfig({ ...BASE, RATE_LIMIT_MAX: '0' }).rateLimitMax, 0, '0 turns it off, explicitly');
  t.match(
    problems({ ...BASE, RATE_LIMIT_MAX: 'off' }),
    { RATE_LIMIT_MAX: /whole number from 0/ },
    'a typo refuses, never turns it off',
  );
  t.equal(c.rateLimitWindowMs, 60000);
  t.equal(c.failedLoginBudget, 20, 'a budget of failed code exchanges per client by default');
  t.equal(parseConfig({ ...BASE, RATE_LIMIT_FAILED_LOGINS: 'off' }).failedLoginBudget, undefined, 'off, explicitly');
  t.equal(parseConfig({ ...BASE, RATE_LIMIT_FAILED_LOGINS: '5' }).failedLoginBudget, 5);
  t.match(
    problems({ ...BASE, RATE_LIMIT_FAILED_LOGINS: '0' }),
    { RATE_LIMIT_FAILED_LOGINS: /from 1 to 10000; write off to turn/ },
    '0 is ambiguous: refused',
  );
  t.match(problems({ ...BASE, RATE_LIMIT_FAILED_LOGINS: 'none' }), {
    RATE_LIMIT_FAILED_LOGINS: /whole number from 1 to 10000/,
  });
  const d = parseConfig({
    ...BASE,
    METRICS_PORT: '9100',
    SHUTDOWN_GRACE_MS: '0',
    SHUTDOWN_TIMEOUT_MS: '5000',
    RATE_LIMIT_MAX: '600',
  });
  t.equal(d.metricsPort, 9100);
  t.equal(d.rateLimitMax, 600);
  t.match(problems({ ...BASE, METRICS_PORT: '3000' }), { METRICS_PORT: /differ from PORT/ });
  t.match(problems({ ...BASE, SHUTDOWN_GRACE_MS: '30000', SHUTDOWN_TIMEOUT_MS: '10000' }), {
    SHUTDOWN_TIMEOUT_MS: /longer than SHUTDOWN_GRACE_MS/,
  });
});

t.test('LOGIN_TIMEOUT_MS: 15 s by default, at least each request deadline', async (t) => {
  t.equal(parseConfig(BASE).loginTimeoutMs, 15_000);
  t.equal(
    parseConfig({ ...BASE, OIDC_TIMEOUT_MS: '1000', COMMBOX_TIMEOUT_MS: '1000', LOGIN_TIMEOUT_MS: '1000' })
      .loginTimeoutMs,
    1000,
  );
  t.match(problems({ ...BASE, LOGIN_TIMEOUT_MS: '5000' }), {
    LOGIN_TIMEOUT_MS: /\(5000\) must be at least OIDC_TIMEOUT_MS \(10000\).*raise it, or lower OIDC_TIMEOUT_MS/,
  });
  t.match(problems({ ...BASE, LOGIN_TIMEOUT_MS: '12000', COMMBOX_TIMEOUT_MS: '20000' }), {
    LOGIN_TIMEOUT_MS: /at least COMMBOX_TIMEOUT_MS \(20000\)/,
  });
  t.match(
    problems({ ...BASE, LOGIN_TIMEOUT_MS: '15' }),
    { LOGIN_TIMEOUT_MS: /whole number from 1000 to 120000/ },
    'seconds by mistake',
  );
});

t.test('customer chat settings', async (t) => {
  const off = parseConfig(BASE);
  t.equal(off.commbox.chatUrl, undefined);
  t.equal(off.commbox.chatOverrideUserInfo, true);
  t.equal(off.idps[0]!.mapping.uniqueId.source, 'sub');
  const on = parseConfig({
    ...BASE,
    COMMBOX_CHAT_URL: 'https://apps.commbox.io/chat/',
    COMMBOX_CHAT_CHANNELS: 'nex9tHPKdBkD_fAfbuUPABg%3d%3d, plain',
    COMMBOX_CHAT_OVERRIDE_USER_INFO: 'false',
    MAP_UNIQUE_ID: 'employee_id',
  });
  t.equal(on.commbox.chatUrl, 'https://apps.commbox.io/chat');
  t.same(on.commbox.chatChannels, ['nex9tHPKdBkD_fAfbuUPABg==', 'plain']);
  t.equal(on.commbox.chatOverrideUserInfo, false);
  t.match(problems({ ...BASE, COMMBOX_CHAT_CHANNELS: 'a' }), { COMMBOX_CHAT_CHANNELS: /COMMBOX_CHAT_URL is not/ });
  t.match(problems({ ...BASE, COMMBOX_CHAT_URL: 'https://apps.commbox.io/chat', COMMBOX_CHAT_CHANNELS: 'a/b' }), {
    COMMBOX_CHAT_CHANNELS: /"a\/b"/,
  });
  t.match(problems({ ...BASE, COMMBOX_CHAT_URL: 'http://apps.commbox.io/chat', COMMBOX_CHAT_CHANNELS: '*' }), {
    COMMBOX_CHAT_URL: /https/,
  });
  const p = problems({ ...BASE, COMMBOX_CHAT_URL: 'https://apps.commbox.io/chat' });
  t.same(Object.keys(p), ['COMMBOX_CHAT_CHANNELS'], 'a chat URL without a channel list is a start-up error');
  t.match(p['COMMBOX_CHAT_CHANNELS'], /is required with COMMBOX_CHAT_URL.*or \* to allow any channel/);
  const any = parseConfig({ ...BASE, COMMBOX_CHAT_URL: 'https://apps.commbox.io/chat', COMMBOX_CHAT_CHANNELS: '*' });
  t.equal(any.commbox.chatAnyChannel, true, '* allows any channel, explicitly');
  t.same(any.commbox.chatChannels, []);
  t.equal(on.commbox.chatAnyChannel, false);
  t.match(problems({ ...BASE, COMMBOX_CHAT_URL: 'https://apps.commbox.io/chat', COMMBOX_CHAT_CHANNELS: '*,abc' }), {
    COMMBOX_CHAT_CHANNELS: /not both/,
  });
});

t.test('client authentication settings', async (t) => {
  t.equal(parseConfig(BASE).idps[0]!.oidc.clientAuth, 'client_secret_basic');
  t.equal(
    parseConfig({ ...BASE, OIDC_CLIENT_AUTH: 'client_secret_post' }).idps[0]!.oidc.clientAuth,
    'client_secret_post',
  );
  t.match(problems({ ...BASE, OIDC_CLIENT_AUTH: 'tls_client_auth' }), { OIDC_CLIENT_AUTH: /one of/ });
  const { generateKeyPairSync } = await import('node:crypto');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const files: Record<string, string> = {
    '/k/rsa.pem': rsa.export({ format: 'pem', type: 'pkcs8' }) as string,
    '/k/rsa.json': JSON.stringify({ ...rsa.export({ format: 'jwk' }), kid: 'from-jwk' }),
    '/k/short.pem': generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    }) as string,
    '/k/junk.pem': 'not a key',
  };
  const read = (p: string) =>
    files[p] ??
    (() => {
      throw Object.assign(new Error(), { code: 'ENOENT' });
    })();
  const pk = { ...BASE, OIDC_CLIENT_SECRET: undefined, OIDC_CLIENT_AUTH: 'private_key_jwt' };
  const c = parseConfig({ ...pk, OIDC_CLIENT_PRIVATE_KEY_FILE: '/k/rsa.json' }, read);
  t.equal(c.idps[0]!.oidc.clientPrivateKeyKid, 'from-jwk');
  t.equal(c.idps[0]!.oidc.clientSecret, '');
  t.equal(
    parseConfig({ ...pk, OIDC_CLIENT_PRIVATE_KEY_FILE: '/k/rsa.pem', OIDC_CLIENT_PRIVATE_KEY_KID: 'k1' }, read).idps[0]!
      .oidc.clientPrivateKeyKid,
    'k1',
  );
  const probs = (env: Record<string, string | undefined>) => {
    try {
      parseConfig(env, read);
    } catch (e) {
      return Object.fromEntries((e as ConfigError).problems.map((x) => [x.variable, x.problem]));
    }
    return {};
  };
  t.match(probs(pk), { OIDC_CLIENT_PRIVATE_KEY_FILE: /is required/ });
  t.match(probs({ ...pk, OIDC_CLIENT_PRIVATE_KEY_FILE: '/k/rsa.pem' }), { OIDC_CLIENT_PRIVATE_KEY_KID: /is required/ });
  t.match(probs({ ...pk, OIDC_CLIENT_PRIVATE_KEY_FILE: '/k/short.pem', OIDC_CLIENT_PRIVATE_KEY_KID: 'k' }), {
    OIDC_CLIENT_PRIVATE_KEY_FILE: /2048/,
  });
  t.match(probs({ ...pk, OIDC_CLIENT_PRIVATE_KEY_FILE: '/k/junk.pem', OIDC_CLIENT_PRIVATE_KEY_KID: 'k' }), {
    OIDC_CLIENT_PRIVATE_KEY_FILE: /not a private key/,
  });
  t.match(probs({ ...pk, OIDC_CLIENT_SECRET: 'x', OIDC_CLIENT_PRIVATE_KEY_FILE: '/k/rsa.json' }), {
    OIDC_CLIENT_SECRET: /does not use it/,
  });
});
