/**
 * Redis over TLS, against a real redis-server listening with TLS only: a login
 * keeps its replay memory there through `rediss://` with the company's CA
 * (`REDIS_CA_FILE`), and a certificate that does not verify (another CA, none
 * given, another host name) leaves Redis unused, with a warning that names the
 * certificate, while logins go on. NODE_EXTRA_CA_CERTS is checked in a child
 * process (Node reads it at start-up only).
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startDemoStack, startReplica, signInWithForm, submitLoginForm, type Stack } from '../helpers/stack.js';
import { createTestCa, startRedis, type RedisTls, type TestRedis } from '../helpers/redis.js';
import type { DemoIdp } from '../../dev/idp.js';
import { checkConfig } from '../../src/check-config.js';
import { parseConfig } from '../../src/config/parse.js';
import { SharedState } from '../../src/redis/shared-state.js';
import { until } from '../helpers/until.js';

async function tlsRedis(t: Test, tls: true | RedisTls = true): Promise<TestRedis> {
  const redis = await startRedis({ tls });
  t.teardown(() => redis.stop());
  return redis;
}

async function stack(t: Test, env: Record<string, string>): Promise<Stack<DemoIdp>> {
  const s = await startDemoStack({ env });
  t.teardown(() => s.close());
  return s;
}

const signIn = (s: Stack<DemoIdp>) => signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);

t.test('rediss:// with REDIS_CA_FILE: a login keeps its replay memory in a Redis that speaks only TLS', async (t) => {
  const redis = await tlsRedis(t);
  t.match(redis.url, /^rediss:\/\/localhost:\d+$/);
  const s = await stack(t, { REDIS_URL: redis.url, REDIS_CA_FILE: redis.caFile! });
  await until(() => s.bridge.sharedState!.up);
  const r = await signIn(s);
  t.ok(r.stoppedAt?.startsWith(s.sandbox.loginUrl), 'the login completes');
  t.equal(s.ticketRequests(), 1);
  const keys = redis.keys().map((k) => k.key);
  t.ok(
    keys.some((k) => k.startsWith('commbox-bridge:replay:')),
    `its replay key is in Redis, read back over TLS with redis-cli (${keys.join(', ')})`,
  );
  t.equal(s.bridge.sharedState!.stats.skipped, 0, 'no command was skipped');
  t.match(await (await fetch(`${s.base}/readyz`)).json(), { redis: 'ok' });
  t.notOk(
    s.logs.find((e) => e['event'] === 'redis_down'),
    'Redis was never reported unavailable',
  );

  // And it is shared: another replica on the same TLS Redis refuses the same callback.
  const b = await startReplica(s);
  t.teardown(() => b.close());
  await until(() => b.bridge.sharedState!.up);
  const browser = s.browser();
  const upTo = await browser.walk(`${s.base}/login`, { stopAt: `${s.base}/callback` });
  t.notOk(upTo.stoppedAt, 'the IdP asks for the password first');
  const posted = await submitLoginForm(browser, upTo.last, 'alice', `${s.base}/callback`);
  const callback = posted.stoppedAt!;
  t.ok(callback, 'up to the callback');
  const cookie = browser.jar.header(callback) ?? '';
  t.equal((await browser.fetch(callback)).status, 302, 'the callback completes at replica A');
  const replay = await fetch(`${b.base}${new URL(callback).pathname}${new URL(callback).search}`, {
    headers: { cookie },
    redirect: 'manual',
  });
  t.equal(replay.status, 400);
  t.match(await replay.text(), /already used/, 'replica B refuses it, from the memory in the TLS Redis');
  t.equal(s.ticketRequests(), 2, 'no ticket for the replay');
});

t.test('the certificate names localhost and 127.0.0.1: both connect', async (t) => {
  const redis = await tlsRedis(t);
  const s = await stack(t, { REDIS_URL: `rediss://127.0.0.1:${redis.port}`, REDIS_CA_FILE: redis.caFile! });
  await until(() => s.bridge.sharedState!.up);
  t.pass('rediss://127.0.0.1: Redis answers over TLS');
});

t.test('REDISS:// in capitals is TLS too (ioredis alone would read it as plain redis://)', async (t) => {
  const redis = await tlsRedis(t);
  const url = `REDISS://localhost:${redis.port}`;
  // Without the CA, TLS shows itself by refusing the certificate; a plain connection would fail otherwise.
  const s = await stack(t, { REDIS_URL: url });
  await until(() => s.logs.find((e) => e['event'] === 'redis_down') !== undefined);
  t.match(
    s.logs.find((e) => e['event'] === 'redis_down'),
    { detail: /TLS certificate is not trusted/ },
    'through the configuration',
  );
  // The Redis client's own lock, with the configuration's (which writes the scheme in lower case) off.
  const shared = await SharedState.create({ url, keyPrefix: 't:' });
  t.teardown(() => shared.close());
  t.match(
    await shared.ping(3000),
    { ok: false, detail: /TLS certificate is not trusted/ },
    'SharedState given REDISS:// directly',
  );
  const trusted = await SharedState.create({ url, keyPrefix: 't:', ca: readFileSync(redis.caFile!, 'utf8') });
  t.teardown(() => trusted.close());
  t.same(await trusted.ping(3000), { ok: true }, 'and with the CA it connects');
});

t.test(
  'a certificate that does not verify: Redis is left unused, the warning names the certificate, logins go on',
  async (t) => {
    const redis = await tlsRedis(t);
    const other = createTestCa(undefined, 'another-ca');
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        'REDIS_CA_FILE of another CA',
        { REDIS_CA_FILE: other.certFile },
        /TLS certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN).*REDIS_CA_FILE/,
      ],
      [
        "no REDIS_CA_FILE: Node's CAs only",
        {},
        /TLS certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN).*REDIS_CA_FILE/,
      ],
    ];
    for (const [name, env, detail] of cases) {
      const s = await stack(t, { REDIS_URL: redis.url, ...env });
      await until(() => s.logs.find((e) => e['event'] === 'redis_down') !== undefined);
      t.match(
        s.logs.find((e) => e['event'] === 'redis_down'),
        { level: 40, detail },
        `${name}: a warning that names the certificate`,
      );
      t.equal(s.bridge.sharedState!.up, false, `${name}: Redis is treated as unavailable`);
      const r = await signIn(s);
      t.ok(r.stoppedAt?.startsWith(s.sandbox.loginUrl), `${name}: the login completes with the replica's own memory`);
      t.match(await (await fetch(`${s.base}/readyz`)).json(), { status: 'ready', redis: 'unavailable' });
      t.ok(s.bridge.sharedState!.stats.skipped >= 1, `${name}: its replay key was kept in memory, not sent`);
      await s.close();
    }
    t.same(redis.keys(), [], 'nothing reached Redis');
  },
);

t.test('a certificate for another host name is refused, even from the trusted CA', async (t) => {
  const redis = await tlsRedis(t, { names: 'DNS:redis.example.com' });
  const s = await stack(t, { REDIS_URL: redis.url, REDIS_CA_FILE: redis.caFile! });
  await until(() => s.logs.find((e) => e['event'] === 'redis_down') !== undefined);
  t.match(
    s.logs.find((e) => e['event'] === 'redis_down'),
    { detail: /does not name the host of REDIS_URL \(ERR_TLS_CERT_ALTNAME_INVALID/ },
  );
  t.equal(s.bridge.sharedState!.up, false);
  t.same(redis.keys(), []);
});

t.test('check-config says why it cannot use Redis: the certificate', async (t) => {
  const redis = await tlsRedis(t);
  const s = await stack(t, {});
  const run = async (env: Record<string, string>) => {
    const lines: string[] = [];
    const code = await checkConfig(parseConfig({ ...s.env, REDIS_URL: redis.url, ...env }), (l) => lines.push(l));
    return { code, out: lines.join('\n') };
  };
  const good = await run({ REDIS_CA_FILE: redis.caFile! });
  t.equal(good.code, 0, good.out);
  t.match(good.out, /Redis: ok/);
  const bad = await run({});
  t.equal(bad.code, 1);
  t.match(
    bad.out,
    /Redis: FAILED: no connection within 5000 ms \(Redis's TLS certificate is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)/,
  );
});

const SHARED_STATE = JSON.stringify(new URL('../../src/redis/shared-state.ts', import.meta.url).href);

/** Runs `script` (an ES module) in a new Node process with `env` (and without NODE_EXTRA_CA_CERTS unless given); its output. */
function runInChild(script: string, env: Record<string, string>): string {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env['NODE_EXTRA_CA_CERTS'] === undefined) delete childEnv['NODE_EXTRA_CA_CERTS'];
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: childEnv,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

/**
 * Pings the TLS Redis from a new Node process (NODE_EXTRA_CA_CERTS is read at
 * start-up), through the bridge's SharedState with `ca` as REDIS_CA_FILE gives it.
 */
function pingFromChild(url: string, env: Record<string, string>, caFile?: string): { ok: boolean; detail?: string } {
  const script = `
    import { readFileSync } from 'node:fs';
    const { SharedState } = await import(${SHARED_STATE});
    const caFile = process.env.TEST_CA_FILE;
    const s = await SharedState.create({ url: process.env.TEST_REDIS_URL, keyPrefix: 't:', ca: caFile ? readFileSync(caFile, 'utf8') : undefined });
    process.stdout.write(JSON.stringify(await s.ping(3000)));
    await s.close();
  `;
  return JSON.parse(
    runInChild(script, { TEST_REDIS_URL: url, ...env, ...(caFile ? { TEST_CA_FILE: caFile } : {}) }),
  ) as { ok: boolean; detail?: string };
}

t.test(
  'NODE_EXTRA_CA_CERTS is honoured for rediss://; REDIS_CA_FILE replaces it (only its CA is trusted for Redis)',
  async (t) => {
    const redis = await tlsRedis(t);
    const other = createTestCa(undefined, 'another-ca');
    t.same(
      pingFromChild(redis.url, { NODE_EXTRA_CA_CERTS: redis.caFile! }),
      { ok: true },
      'the CA in NODE_EXTRA_CA_CERTS is trusted',
    );
    t.match(pingFromChild(redis.url, {}), { ok: false, detail: /not trusted/ }, 'control: without it, refused');
    t.match(
      pingFromChild(redis.url, { NODE_EXTRA_CA_CERTS: redis.caFile! }, other.certFile),
      { ok: false, detail: /not trusted/ },
      "with REDIS_CA_FILE of another CA, NODE_EXTRA_CA_CERTS's CA is not trusted for Redis",
    );
  },
);

t.test('closing while a TLS handshake is being refused never ends the process', async (t) => {
  const redis = await tlsRedis(t);
  const other = createTestCa(undefined, 'another-ca');
  // Closed 0 to 4 ms after the start, many times: some close in the middle of a
  // handshake whose certificate is being refused (a shutdown while Redis's certificate is wrong).
  const script = `
    import { readFileSync } from 'node:fs';
    const { SharedState } = await import(${SHARED_STATE});
    const ca = readFileSync(process.env.TEST_CA_FILE, 'utf8');
    for (let i = 0; i < 150; i++) {
      const s = await SharedState.create({ url: process.env.TEST_REDIS_URL, keyPrefix: 't:', ca });
      await new Promise((ok) => setTimeout(ok, i % 5));
      await s.close();
    }
    await new Promise((ok) => setTimeout(ok, 200));
    process.stdout.write('survived');
  `;
  t.equal(
    runInChild(script, { TEST_REDIS_URL: redis.url, TEST_CA_FILE: other.certFile }),
    'survived',
    '150 closes, no unhandled error',
  );
});
