/**
 * `check-config` in-process: the proxy it will use, CommBox reachability (no
 * ticket asked), the rules and mapping each IdP's logins get, and whether it
 * can use Redis.
 */
import t, { type Test } from 'tap';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConfig, parseCheckArgs } from '../src/check-config.js';
import { parseConfig } from '../src/config/parse.js';
import { startSandbox } from '../dev/commbox-sandbox.js';
import { startDemoIdp } from '../dev/idp.js';
import { BRIDGE_VERSION } from '../src/observability/version.js';
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
  t.equal(direct.out.split('\n')[0], `commbox-sso-bridge ${BRIDGE_VERSION}, Node ${process.version}`);
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
  t.notMatch(good.out, /Redis: not set/);
  await redis.stop();
  const bad = await run({});
  t.equal(bad.code, 1);
  t.match(bad.out, /Redis: FAILED: no connection within 5000 ms/);
});

/** An EC key pair: the private key in a PEM file for OIDC_CLIENT_PRIVATE_KEY_FILE, the public key as a JWK. */
function clientKey(dir: string, name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = join(dir, `${name}.pem`);
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  return { file, publicKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'ES256' } };
}

const METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
const WRONG_SECRET = 'not-the-registered-secret-0123456789';

/** The variables of one IdP's client: the right credentials, or wrong ones, for `method`. */
function clientEnv(method: (typeof METHODS)[number], secret: string, keyFile: string): Record<string, string> {
  return method === 'private_key_jwt'
    ? {
        OIDC_CLIENT_AUTH: method,
        OIDC_CLIENT_SECRET: '',
        OIDC_CLIENT_PRIVATE_KEY_FILE: keyFile,
        OIDC_CLIENT_PRIVATE_KEY_KID: 'k1',
      }
    : { OIDC_CLIENT_AUTH: method, OIDC_CLIENT_SECRET: secret };
}

/**
 * A hostile stack for the credentials proof, with a right and a wrong client key registered as the right
 * one's, and check-config run against it: its exit code, its output and the token requests it sent.
 */
async function probeStack(t: Test, opts: Parameters<typeof startHostileStack>[0] = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'check-config-keys-'));
  const s = await startHostileStack(opts);
  t.teardown(() => s.close());
  const right = clientKey(dir, 'right');
  const wrong = clientKey(dir, 'wrong');
  s.idp.clientPublicKey = right.publicKey;
  const check = async (env: Record<string, string>) => {
    const before = s.idp.tokenRequests.length;
    const lines: string[] = [];
    const code = await checkConfig(parseConfig({ ...s.env, ...env }), (l) => lines.push(l));
    return { code, out: lines.join('\n'), sent: s.idp.tokenRequests.slice(before) };
  };
  return { s, right, wrong, check };
}

const ACCEPTED =
  /\n {2}client credentials: accepted \((\w+)\): a token request with a code the IdP never issued was refused for the code, not the client \(HTTP 400 error="invalid_grant"/;
const REFUSED =
  /\n {2}client credentials: REFUSED \(the client secret\/key is wrong or the client is not registered\): the IdP answered HTTP 401.*error="invalid_client"/;

t.test(
  'check-config proves the client credentials at oidc-provider, for each client authentication method',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'check-config-keys-'));
    const sandbox = await startSandbox({ brand: 'acme' });
    t.teardown(() => sandbox.close());
    const right = clientKey(dir, 'right');
    const wrong = clientKey(dir, 'wrong');
    for (const method of METHODS) {
      const idp = await startDemoIdp({
        redirectUris: ['https://bridge.example.com/callback'],
        tokenEndpointAuthMethod: method,
        clientJwks: { keys: [right.jwk] },
      });
      const base = {
        PUBLIC_URL: 'https://bridge.example.com',
        TRUST_PROXY: '127.0.0.1',
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: idp.clientId,
        COMMBOX_API_URL: sandbox.url,
        COMMBOX_API_KEY: sandbox.apiKey,
        COMMBOX_BRAND: 'acme',
        COMMBOX_LOGIN_URL: sandbox.loginUrl,
        COOKIE_SECRET,
        ALLOWED_GROUPS: 'commbox-agents',
      };
      const good = await run({ ...base, ...clientEnv(method, idp.clientSecret, right.file) });
      t.equal(good.code, 0, `${method}, right credentials: ${good.out}`);
      t.match(good.out, ACCEPTED, `${method}: accepted`);
      t.match(good.out, `client credentials: accepted (${method})`);
      const bad = await run({ ...base, ...clientEnv(method, WRONG_SECRET, wrong.file) });
      t.equal(bad.code, 1, `${method}, wrong credentials: exit code 1`);
      t.match(bad.out, REFUSED, `${method}: refused`);
      t.match(
        bad.out,
        method === 'private_key_jwt'
          ? /Check OIDC_CLIENT_PRIVATE_KEY_FILE, OIDC_CLIENT_ID/
          : /Check OIDC_CLIENT_SECRET, OIDC_CLIENT_ID/,
      );
      for (const out of [good.out, bad.out]) {
        t.notMatch(out, idp.clientSecret, 'the secret is never printed');
        t.notMatch(out, WRONG_SECRET, 'nor the wrong one');
      }
      await idp.close();
    }
    t.equal(sandbox.requests.length, 0, 'no ticket was asked');
  },
);

t.test('check-config proves the client credentials at the hostile IdP, and says when it cannot tell', async (t) => {
  const { s, right, wrong, check } = await probeStack(t);
  for (const method of METHODS) {
    const good = await check(clientEnv(method, s.idp.clientSecret, right.file));
    t.equal(good.code, 0, `${method}, right credentials: ${good.out}`);
    t.match(good.out, ACCEPTED);
    t.equal(
      s.idp.lastTokenAuth,
      method === 'client_secret_basic' ? 'basic' : method === 'client_secret_post' ? 'post' : method,
      'sent as configured',
    );
    const code = s.idp.lastTokenCode!;
    t.ok(code.length >= 32, 'a code was sent');
    t.notMatch(good.out, code, 'the code is never printed');
    const bad = await check(clientEnv(method, WRONG_SECRET, wrong.file));
    t.equal(bad.code, 1);
    t.match(bad.out, REFUSED);
    t.notMatch(bad.out, s.idp.lastTokenCode!, 'the code is never printed');
    t.notMatch(bad.out, WRONG_SECRET);
  }

  // A 401 with a challenge (and any 401) is the client refused, whatever error it names.
  s.idp.mode = 'token-challenge';
  const challenged = await check({});
  t.equal(challenged.code, 1);
  t.match(challenged.out, /client credentials: REFUSED .*HTTP 401 \(basic\) error="invalid_client"/);
  s.idp.mode = 'token-401-unauthorized-client';
  t.match((await check({})).out, /client credentials: REFUSED .*HTTP 401 error="unauthorized_client"/);

  // Answers that say neither: what came back, and that it could not tell (a warning, not a failure).
  s.idp.mode = 'token-challenge-other';
  const other = await check({});
  t.equal(other.code, 0, other.out);
  t.match(
    other.out,
    /\nWARNING: client credentials: could not tell: to a code it never issued, the IdP answered HTTP 400 \(basic\) error="unauthorized_client", which says neither/,
  );
  s.idp.mode = 'token-500';
  t.match((await check({})).out, /WARNING: client credentials: could not tell: .*answered HTTP 500,/);
  // An IdP that echoes the code and the secret in its description: both hidden.
  s.idp.mode = 'token-echo';
  const echoed = await check({});
  t.match(echoed.out, /client credentials: accepted .*"code \[hidden\] unknown to client bridge \(\[hidden\]\)"/);
  t.notMatch(echoed.out, s.idp.lastTokenCode!);
  t.notMatch(echoed.out, s.idp.clientSecret);
  s.idp.mode = 'token-any-code';
  t.match(
    (await check({})).out,
    /WARNING: client credentials: could not tell: .*answered with tokens for a code it never issued/,
  );
  s.idp.mode = 'token-bad-json';
  const garbled = await check({});
  t.equal(garbled.code, 0, garbled.out);
  t.match(garbled.out, /WARNING: client credentials: could not tell: .*answered .*(JSON|pars)/i);
  s.idp.mode = 'ok';

  // No answer at all: the token endpoint cannot be reached.
  const port = await freePort();
  s.idp.metadata = { token_endpoint: `http://127.0.0.1:${port}/token` };
  const down = await check({ OIDC_ISSUER: s.idp.issuer });
  t.equal(down.code, 1);
  t.match(down.out, /client credentials: FAILED: the token request failed: .*refused/);
  t.equal(s.ticketRequests(), 0, 'no ticket was asked');
});

const COULD_NOT_TELL_CODE_FIRST =
  /\nWARNING: client credentials: could not tell: this IdP judges the code before the client \((a wrong secret|an assertion signed by a throwaway key) also gets invalid_grant\)/;

t.test(
  'check-config follows an invalid_grant with a control request authenticated with a wrong credential; a refusal needs none',
  async (t) => {
    const { s, right, wrong, check } = await probeStack(t);
    const formOf = (r: { body: string }) => new URLSearchParams(r.body);

    for (const method of METHODS) {
      s.idp.mode = 'ok';
      // A normal IdP (the client first): invalid_grant, then the control is refused for the client.
      const good = await check(clientEnv(method, s.idp.clientSecret, right.file));
      t.equal(good.code, 0, `${method}, right credentials: ${good.out}`);
      t.match(good.out, ACCEPTED, `${method}: accepted`);
      t.match(
        good.out,
        /\n {4}the same request with (a wrong secret|an assertion signed by a throwaway key) was refused for the client \(HTTP 401.*error="invalid_client"\), so the IdP judged the client first\./,
      );
      t.equal(good.sent.length, 2, `${method}: the probe and its control`);
      const [probe, control] = good.sent as [(typeof good.sent)[0], (typeof good.sent)[0]];
      t.equal(formOf(control).get('code'), formOf(probe).get('code'), 'the same code');
      t.equal(formOf(control).get('code_verifier'), formOf(probe).get('code_verifier'), 'the same verifier');
      if (method === 'client_secret_basic') {
        t.ok(probe.authorization?.startsWith('Basic ') && control.authorization?.startsWith('Basic '), 'both Basic');
        t.not(control.authorization, probe.authorization, 'the control with another secret');
      } else if (method === 'client_secret_post') {
        t.equal(formOf(probe).get('client_secret'), s.idp.clientSecret);
        t.ok(formOf(control).get('client_secret'), 'the control sends a secret');
        t.not(formOf(control).get('client_secret'), s.idp.clientSecret, 'another one');
      } else {
        // The control's assertion: the same header and issuer, a signature the client's key does not verify.
        const [a, b] = [formOf(probe).get('client_assertion')!, formOf(control).get('client_assertion')!];
        t.same(decodeProtectedHeader(b), decodeProtectedHeader(a), 'the same header (alg, kid)');
        t.equal(decodeJwt(b).iss, decodeJwt(a).iss);
        await t.resolves(jwtVerify(a, right.publicKey), 'the probe signed with the client key');
        await t.rejects(jwtVerify(b, right.publicKey), 'the control with another key');
      }

      // A wrong credential: refused at once, no control.
      const bad = await check(clientEnv(method, WRONG_SECRET, wrong.file));
      t.equal(bad.code, 1);
      t.match(bad.out, REFUSED);
      t.equal(bad.sent.length, 1, `${method}, wrong credentials: no control request`);
    }

    // A control that fails otherwise (an IdP that answers 500 to a wrong secret): could not tell, and what came back.
    s.idp.mode = 'token-client-500';
    const other = await check({});
    t.equal(other.code, 0, other.out);
    t.match(
      other.out,
      /\nWARNING: client credentials: could not tell: to a code it never issued, the IdP answered HTTP 400 error="invalid_grant" \("unknown or used code"\) \(refused for the code\),\n {2}but the same request with a wrong secret was not refused for the client either \(HTTP 500\)\./,
    );
    s.idp.mode = 'ok';
    t.equal(s.ticketRequests(), 0, 'no ticket was asked');
  },
);

t.test(
  'check-config at an IdP that judges the code before the client: neither a right nor a wrong credential is called accepted',
  async (t) => {
    const { s, right, wrong, check } = await probeStack(t);
    // Google's answer to a code not in its format, whatever the client's credentials.
    s.idp.mode = 'token-code-first';
    for (const method of METHODS) {
      const wrongFirst = await check(clientEnv(method, WRONG_SECRET, wrong.file));
      t.notMatch(wrongFirst.out, /client credentials: accepted/, `${method}: a wrong credential is not accepted`);
      t.match(wrongFirst.out, COULD_NOT_TELL_CODE_FIRST, `${method}, wrong credentials: could not tell`);
      t.equal(wrongFirst.code, 0, 'a warning, not a failure');
      t.equal(wrongFirst.sent.length, 2, 'the probe and its control');
      const rightFirst = await check(clientEnv(method, s.idp.clientSecret, right.file));
      t.notMatch(rightFirst.out, /client credentials: accepted/, `${method}: nor a right one`);
      t.match(rightFirst.out, COULD_NOT_TELL_CODE_FIRST, `${method}, right credentials: could not tell`);
      t.match(
        rightFirst.out,
        /\n {2}to a code it never issued it answered HTTP 400 error="invalid_grant" \("Malformed auth code\."\) to \w+, and HTTP 400 error="invalid_grant" \("Malformed auth code\."\) to /,
      );
      t.match(
        rightFirst.out,
        method === 'private_key_jwt'
          ? /\n {2}A sign-in proves them: a wrong OIDC_CLIENT_PRIVATE_KEY_FILE fails it with token_exchange_failed\./
          : /\n {2}A sign-in proves them: a wrong OIDC_CLIENT_SECRET fails it with token_exchange_failed\./,
      );
      t.equal(rightFirst.code, 0);
      t.equal(rightFirst.sent.length, 2);
    }
  },
);

t.test(
  'check-config hides what an IdP echoes of the client authentication, of the probe and of its control',
  async (t) => {
    // A secret the Basic header and the form encode differently (RFC 6749 §2.3.1 and WHATWG forms).
    const secret = 'S3cr3t +/=~é!:%&-_.*(x)';
    const { s, right, check } = await probeStack(t, { clientSecret: secret });
    s.idp.mode = 'token-echo-auth';
    for (const method of METHODS) {
      const { code, out, sent } = await check(clientEnv(method, secret, right.file));
      t.equal(code, 0, `${method}: ${out}`);
      t.match(out, ACCEPTED, `${method}: accepted`);
      t.equal(sent.length, 2, 'the probe and its control');
      // The IdP echoed the client authentication of both requests: each is hidden.
      t.match(
        out,
        /error="invalid_grant" \("unknown code: authorization (Basic \[hidden\]; |none; client_(secret|assertion)=\[hidden\])"\)/,
      );
      t.match(
        out,
        /error="invalid_client" \("client refused: authorization (Basic \[hidden\]; |none; client_(secret|assertion)=\[hidden\])"\)/,
      );
      const shown: string[] = [secret, encodeURIComponent(secret)];
      for (const r of sent) {
        if (r.authorization !== undefined) {
          const basic = r.authorization.slice('Basic '.length);
          const pair = Buffer.from(basic, 'base64').toString();
          const password = pair.slice(pair.indexOf(':') + 1);
          shown.push(basic, password, decodeURIComponent(password.replace(/\+/g, ' ')));
        }
        for (const p of r.body.split('&')) {
          if (/^client_(secret|assertion)=/.test(p)) {
            const value = p.slice(p.indexOf('=') + 1);
            shown.push(value, decodeURIComponent(value.replace(/\+/g, ' ')));
          }
        }
      }
      t.ok(shown.length > 3, `${method}: the requests carried credentials`);
      for (const value of shown) t.notOk(out.includes(value), `${method}: never printed: ${value.slice(0, 12)}…`);
    }
  },
);

t.test('check-config --ticket-for asks CommBox for one ticket, never shows it, and explains a refusal', async (t) => {
  const s = await startHostileStack();
  t.teardown(() => s.close());
  const check = async (env: Record<string, string>, argv: string[]) => {
    const lines: string[] = [];
    const code = await checkConfig(parseConfig({ ...s.env, ...env }), (l) => lines.push(l), parseCheckArgs(argv));
    return { code, out: lines.join('\n') };
  };
  const good = await check({}, ['--check', '--ticket-for', 'alice@example.com']);
  t.equal(good.code, 0, good.out);
  t.equal(s.ticketRequests(), 1, 'one ticket asked');
  const ticket = s.sandbox.requests[0]!.ticket!;
  t.ok(ticket, 'CommBox issued one');
  t.notOk(good.out.includes(ticket), 'the ticket appears nowhere in the output');
  t.same(s.sandbox.requests[0]!.body, {
    data: { brand: 'acme', username: 'alice@example.com', email: 'alice@example.com', oneTimeUse: true },
  });
  t.match(good.out, /\nCommBox ticket for "alice@example\.com": issued \(one-time; not shown, not used/);
  t.equal(s.sandbox.arrivals.length, 0, 'and not used');

  const bad = await check({ COMMBOX_API_KEY: 'rotated-key-0123456789abcdef' }, [
    '--ticket-for=alice',
    '--email=alice@example.com',
  ]);
  t.equal(bad.code, 1, 'a refused ticket fails the check');
  t.match(bad.out, /CommBox ticket for "alice": REFUSED: CommBox answered HTTP 401\. CommBox said: "Unauthorized"\./);
  t.match(bad.out, /- COMMBOX_API_KEY is wrong, revoked or rotated/);
  t.notMatch(bad.out, 'rotated-key-0123456789abcdef', 'the API key is never printed');
  t.equal(s.ticketRequests(), 2, 'one request each time, no retry of a 401');

  const none = await check({}, ['--check']);
  t.equal(none.code, 0);
  t.notMatch(none.out, /CommBox ticket for/);
  t.match(none.out, /\nRedis: not set \(REDIS_URL\): each replica has its own replay memory, rate limits/);
  t.equal(s.ticketRequests(), 2, 'no ticket without --ticket-for');
});

t.test('check-config arguments: --ticket-for with --email or --phone, or a username that is an email', async (t) => {
  t.same(parseCheckArgs(['--check']), {});
  t.same(parseCheckArgs(['--check', '--ticket-for', 'alice@example.com']), {
    ticketFor: { username: 'alice@example.com', email: 'alice@example.com', phone1: undefined },
  });
  t.same(parseCheckArgs(['--ticket-for', 'alice', '--phone', '+442501234567']), {
    ticketFor: { username: 'alice', email: undefined, phone1: '+442501234567' },
  });
  t.same(parseCheckArgs(['--ticket-for=alice', '--email=a@example.com', '--phone=+44']), {
    ticketFor: { username: 'alice', email: 'a@example.com', phone1: '+44' },
  });
  t.throws(() => parseCheckArgs(['--ticket-for', 'alice']), /needs --email <address> or --phone <number>/);
  t.throws(() => parseCheckArgs(['--ticket-for']), /--ticket-for needs a value/);
  t.throws(() => parseCheckArgs(['--ticket-for', '--email', 'a@example.com']), /--ticket-for needs a value/);
  t.throws(() => parseCheckArgs(['--email', 'a@example.com']), /go with --ticket-for/);
  t.throws(() => parseCheckArgs(['--ticket', 'alice']), /unknown argument "--ticket"/);
});

t.test('check-config names each secret file, when it was written and how it is read again', async (t) => {
  const idp = await startHostileIdp();
  const sandbox = await startSandbox({ brand: 'acme' });
  t.teardown(async () => {
    await idp.close();
    await sandbox.close();
  });
  const dir = mkdtempSync(join(tmpdir(), 'check-secrets-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'api-key'), sandbox.apiKey);
  writeFileSync(join(dir, 'cookie'), COOKIE_SECRET);
  const written = new Date('2026-01-02T03:04:05.000Z');
  utimesSync(join(dir, 'api-key'), written, written);
  const { code, out } = await run({
    PUBLIC_URL: 'https://bridge.example.com',
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    COMMBOX_API_URL: sandbox.url,
    COMMBOX_API_KEY_FILE: join(dir, 'api-key'),
    COMMBOX_BRAND: 'acme',
    COMMBOX_LOGIN_URL: sandbox.loginUrl,
    COOKIE_SECRET_FILE: join(dir, 'cookie'),
    ALLOW_ANY_AUTHENTICATED: 'true',
  });
  t.equal(code, 0, out);
  const at = '\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z';
  t.match(
    out,
    new RegExp(
      `secret file: +COMMBOX_API_KEY_FILE read from ${dir}/api-key, written 2026-01-02T03:04:05\\.000Z; a running bridge reads it again every 10 s and on SIGHUP \\(commbox_bridge_secret_loaded_timestamp_seconds says when it last did\\)`,
    ),
  );
  t.match(out, new RegExp(`secret file: +COOKIE_SECRET_FILE read from ${dir}/cookie, written ${at}`));
  t.notMatch(out, /OIDC_CLIENT_SECRET_FILE/, 'a secret set in the environment is no file');
});
