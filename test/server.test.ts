/**
 * The process as operators run it: configuration errors stop the start with one
 * message; a `.env` file is read; SIGTERM stops it cleanly.
 */
import t, { type Test } from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import net from 'node:net';
import { REQUEST_RECEIVE_TIMEOUT_MS } from '../src/app.js';
import { startSandbox } from '../dev/commbox-sandbox.js';
import { Browser } from './helpers/browser.js';
import { startHostileIdp } from './helpers/hostile-idp.js';
import { COOKIE_SECRET, freePort } from './helpers/stack.js';
import { until } from './helpers/until.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const root = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

/**
 * This run's own build directory. Inside the checkout, so that the compiled files find
 * node_modules and package.json's "type": "module"; a new one per run, so that test runs
 * sharing a checkout never start each other's half-written files (dist/ is not rebuilt
 * here: `npm start` and the bench use it).
 */
let buildDir: string | undefined;
function ownBuildDir(): string {
  if (buildDir === undefined) {
    mkdirSync(join(root, 'test-output'), { recursive: true });
    const dir = mkdtempSync(join(root, 'test-output', 'server-build-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    buildDir = dir;
  }
  return buildDir;
}

/**
 * The server from source; what `npm start` runs (tsc's output); and the bundle the
 * Docker image runs. The last two are built here from the current source, as
 * `npm ci` and the image's build do, so that they never test stale code. The bundle
 * runs from a folder of its own outside the checkout, as in the image: it needs no
 * node_modules, and no package.json (its version is written in when it is built).
 */
const ENTRIES: Record<string, () => string[]> = {
  source: () => [`--import=${tsx}`, join(root, 'src', 'server.ts')],
  start: () => {
    const dir = ownBuildDir();
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', dir], { cwd: root });
    return ['--enable-source-maps', join(dir, 'server.js')];
  },
  bundle: () => {
    const dir = ownBuildDir();
    execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), dir], { cwd: root });
    const alone = mkdtempSync(join(tmpdir(), 'bridge-bundle-'));
    t.teardown(() => rmSync(alone, { recursive: true, force: true }));
    for (const f of ['commbox-sso-bridge.mjs', 'commbox-sso-bridge.mjs.map'])
      copyFileSync(join(dir, f), join(alone, f));
    return ['--enable-source-maps', join(alone, 'commbox-sso-bridge.mjs')];
  },
};

/**
 * tsx reads the tsconfig.json of the working directory, and the servers here run in empty
 * ones: this one makes them compile the source as the tests do (and c8 can then merge the
 * coverage of both: it counts a file only once if every process compiled it alike).
 */
const TSX_ENV = { TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') };

/**
 * Starts the server with `args`. Under c8 (`npm test`), Node hands NODE_V8_COVERAGE on to
 * every child, whatever `env` says, unless `env` names it: `measured: false` empties it. The
 * builds are left out of the coverage, as they run what the source run of the same test
 * covers: c8 cannot map a bundle back to its many sources (every line would count as run),
 * and tsc's output maps back to other columns than tsx's (each function would count twice).
 */
function run(cwd: string, env: Record<string, string>, args = ENTRIES['source']!(), measured = true) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...TSX_ENV, ...(measured ? {} : { NODE_V8_COVERAGE: '' }), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += String(c)));
  child.stderr.on('data', (c) => (stderr += String(c)));
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

t.test('bad configuration: exit 1 with every bad variable named, no stack trace', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'bridge-'));
  const p = run(cwd, { COOKIE_SECRET: 'short-secret', PORT: 'eighty' });
  t.equal(await p.exited, 1);
  const err = p.err();
  for (const v of [
    'PUBLIC_URL',
    'OIDC_ISSUER',
    'OIDC_CLIENT_ID',
    'OIDC_CLIENT_SECRET',
    'COMMBOX_API_KEY',
    'COMMBOX_BRAND',
    'COMMBOX_LOGIN_URL',
    'COOKIE_SECRET',
    'PORT',
  ]) {
    t.match(err, new RegExp(`- ${v}: `), `${v} is named`);
  }
  t.match(err, /Invalid configuration \(10 problems\)/);
  t.notMatch(err, /\n\s+at /, 'no stack trace');
  t.notMatch(err, /short-secret/, 'the secret is not echoed');
  t.equal(p.out(), '');
});

t.test('a misspelt variable stops the start-up with the name it most likely meant', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'bridge-'));
  const p = run(cwd, {
    PUBLIC_URL: 'https://commbox-sso.example.com',
    OIDC_ISSUER: 'https://idp.example.com',
    OIDC_CLIENT_ID: 'commbox',
    OIDC_CLIENT_SECERT: 'client-secret-value',
    COMMBOX_API_KEY: 'api-key-value',
    COMMBOX_BRAND: 'acme',
    COMMBOX_LOGIN_URL: 'https://acme.commbox.io/login',
    COOKIE_SECRET: 'Zk3q9P0vLw7xR2mT8yB5nC1dF6gH4jK0sA9eU3iO7pQ=',
    // One letter short: ignored, it would leave the bridge with no rule, open to everyone.
    ALLOWED_GROUP: 'commbox-agents',
    // Traces would go nowhere: the endpoint's name misspelt.
    OTEL_EXPORTER_OTLP_ENDPIONT: 'http://otel-collector:4318',
  });
  t.equal(await p.exited, 1);
  const err = p.err();
  t.match(err, /- ALLOWED_GROUP: is not a variable of the bridge; did you mean ALLOWED_GROUPS\?/);
  t.match(
    err,
    /- OTEL_EXPORTER_OTLP_ENDPIONT: is not an OpenTelemetry variable; did you mean OTEL_EXPORTER_OTLP_ENDPOINT\?/,
  );
  t.match(err, /- OIDC_CLIENT_SECERT: is not a variable of the bridge; did you mean OIDC_CLIENT_SECRET\?/);
  t.match(err, /- ALLOW_ANY_AUTHENTICATED: is not true and no access rule is set/);
  t.notMatch(err, /client-secret-value/, 'the misspelt secret is not echoed');
  t.equal(p.out(), '');
});

for (const entry of Object.keys(ENTRIES))
  t.test(`${entry}: starts from a .env file, serves a login, stops on SIGTERM with exit 0`, async (t) => {
    const args = ENTRIES[entry]!();
    t.ok(existsSync(args.at(-1)!), `${entry}: the entry point exists`);
    const port = await freePort();
    const idp = await startHostileIdp();
    const sandbox = await startSandbox({ brand: 'acme' });
    t.teardown(async () => {
      await idp.close();
      await sandbox.close();
    });
    const base = `http://127.0.0.1:${port}`;
    idp.redirectUris = [`${base}/callback`];
    const cwd = mkdtempSync(join(tmpdir(), 'bridge-'));
    writeFileSync(
      join(cwd, '.env'),
      [
        `PUBLIC_URL=${base}`,
        `OIDC_ISSUER=${idp.issuer}`,
        `OIDC_CLIENT_ID=${idp.clientId}`,
        `OIDC_CLIENT_SECRET=${idp.clientSecret}`,
        `COMMBOX_API_URL=${sandbox.url}`,
        `COMMBOX_API_KEY=${sandbox.apiKey}`,
        `COMMBOX_BRAND=acme`,
        `COMMBOX_LOGIN_URL=${sandbox.loginUrl}`,
        `COOKIE_SECRET=${COOKIE_SECRET}`,
        'ALLOWED_GROUPS=commbox-agents',
        'PORT=1',
        'HOST=127.0.0.1',
        'METRICS_PORT=off',
      ].join('\n'),
    );
    // The environment wins over the file.
    const p = run(cwd, { PORT: String(port) }, args, entry === 'source');
    t.teardown(() => p.child.kill('SIGKILL'));
    const b = new Browser();
    let healthy = false;
    for (let i = 0; i < 100 && !healthy; i++) {
      healthy = await b.fetch(`${base}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    t.ok(healthy, `healthy (stderr: ${p.err()})`);
    t.same(JSON.parse((await b.fetch(`${base}/healthz`)).body), { status: 'ok' }, `${entry}: no version banner`);
    const r = await b.walk(`${base}/login`, { stopAt: sandbox.loginUrl });
    t.ok(r.stoppedAt, 'a login goes through');
    // The catalogues are inside what runs (the bundle has no files beside it).
    const hebrew = await fetch(`${base}/`, { headers: { 'accept-language': 'he-IL' } });
    t.match(await hebrew.text(), /<html lang="he" dir="rtl">/, 'a Hebrew browser gets the Hebrew page');
    p.child.kill('SIGTERM');
    t.equal(await p.exited, 0);
    const lines = p
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    t.match(
      lines.find((l) => l['event'] === 'started'),
      { version, node: process.version, msg: `commbox-sso-bridge ${version} serving on 127.0.0.1 port ${port}` },
      `${entry}: the start-up line says package.json's version`,
    );
    t.ok(lines.some((l) => l['msg'] === 'IdP discovered'));
    t.ok(lines.some((l) => l['msg'] === 'login completed' && l['username'] === 'alice'));
    t.ok(lines.some((l) => l['msg'] === 'stopped'));
    const audit = lines.filter((l) => l['name'] === 'commbox-sso-bridge.audit');
    t.same(
      audit.map((l) => l['event']),
      ['started', 'ticket_issued', 'stopped'],
      `${entry}: the audit trail from start to stop, the stop written before the exit`,
    );
    t.match(audit[0], {
      schemaVersion: 1,
      outcome: 'success',
      version,
      node: process.version,
      settingsSha256: /^[0-9a-f]{64}$/,
    });
    const set = audit[0]!['variablesSet'] as string[];
    for (const v of ['ALLOWED_GROUPS', 'COOKIE_SECRET', 'OIDC_CLIENT_SECRET', 'PORT'])
      t.ok(set.includes(v), `${v} is named as set (a secret by its name only)`);
    t.match(audit[2], { event: 'stopped', signal: 'SIGTERM', exitCode: 0, outcome: 'success' });
    for (const secret of [idp.clientSecret, sandbox.apiKey, COOKIE_SECRET]) t.notOk(p.out().includes(secret));
  });

/** Starts the server from source against a hostile IdP and the sandbox; resolves when a login can start. */
async function startServer(t: Test, extra: Record<string, string> = {}) {
  const port = await freePort();
  const idp = await startHostileIdp();
  const sandbox = await startSandbox({ brand: 'acme' });
  const base = `http://127.0.0.1:${port}`;
  idp.redirectUris = [`${base}/callback`];
  const cwd = mkdtempSync(join(tmpdir(), 'bridge-'));
  const p = run(cwd, {
    PUBLIC_URL: base,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    COMMBOX_API_URL: sandbox.url,
    COMMBOX_API_KEY: sandbox.apiKey,
    COMMBOX_BRAND: 'acme',
    COMMBOX_LOGIN_URL: sandbox.loginUrl,
    COOKIE_SECRET,
    ALLOWED_GROUPS: 'commbox-agents',
    PORT: String(port),
    HOST: '127.0.0.1',
    METRICS_PORT: 'off',
    ...extra,
  });
  t.teardown(async () => {
    p.child.kill('SIGKILL');
    await idp.close();
    await sandbox.close();
  });
  const b = new Browser();
  for (let i = 0; i < 200; i++) {
    if (
      (await b.fetch(`${base}/readyz`).then(
        (r) => r.status,
        () => 0,
      )) === 200
    )
      break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { p, base, idp, sandbox, b };
}

t.test('SIGTERM during a burst of logins: readiness fails at once, no login fails, exit 0', async (t) => {
  // Eight workers on one address go past the per-address limit on a fast machine (600 requests a minute):
  // this test is about draining, so the limiter is off and a 429 cannot hide or fake a dropped login.
  const { p, base, sandbox, b } = await startServer(t, {
    SHUTDOWN_GRACE_MS: '1500',
    SHUTDOWN_TIMEOUT_MS: '10000',
    RATE_LIMIT_MAX: '0',
  });
  t.equal((await b.fetch(`${base}/readyz`)).status, 200, 'ready before');
  let ok = 0;
  const failures: string[] = [];
  let keepGoing = true;
  const worker = async () => {
    while (keepGoing) {
      const r = await new Browser()
        .walk(`${base}/login`, { stopAt: sandbox.loginUrl })
        .catch((e: Error) => ({ stoppedAt: undefined, last: { status: e.message } }));
      if (r.stoppedAt) ok++;
      else failures.push(String(r.last.status));
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await new Promise((r) => setTimeout(r, 500));
  const signalled = Date.now();
  p.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  const ready = await b.fetch(`${base}/readyz`);
  t.equal(ready.status, 503, 'readiness fails at once');
  t.match(JSON.parse(ready.body), { problems: ['draining: shutting down'] });
  // The load balancer stops sending new logins within the grace period.
  await new Promise((r) => setTimeout(r, 1000));
  keepGoing = false;
  await Promise.all(workers);
  t.equal(await p.exited, 0, 'exit 0');
  t.ok(Date.now() - signalled >= 1500, 'served through the grace period');
  t.ok(ok > 10, `${ok} logins completed during the burst`);
  t.same(failures, [], 'none failed');
});

t.test(
  'LOG_FORMAT=ecs, and a drain cut by SHUTDOWN_TIMEOUT_MS: the stopped line is written before exit 1',
  async (t) => {
    const { p, base, sandbox } = await startServer(t, {
      LOG_FORMAT: 'ecs',
      SHUTDOWN_GRACE_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '1000',
      COMMBOX_TIMEOUT_MS: '30000',
      LOGIN_TIMEOUT_MS: '60000',
    });
    // A login held at CommBox, which never answers: the drain cannot finish it.
    sandbox.fault = 'hang';
    const held = new Browser().walk(`${base}/login`, { stopAt: sandbox.loginUrl }).catch(() => undefined);
    await until(() => sandbox.requests.length === 1);
    p.child.kill('SIGTERM');
    t.equal(await p.exited, 1, 'exit 1: in-flight requests were cut');
    await held;
    const lines = p
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines)
      t.match(l, { '@timestamp': String, 'log.level': String, message: String, 'ecs.version': String });
    const audit = lines.filter((l) => l['log.logger'] === 'commbox-sso-bridge.audit');
    t.same(
      audit.map((l) => l['event.action']),
      ['started', 'stopped'],
    );
    t.match(audit[0], { 'service.name': 'commbox-sso-bridge', 'service.version': version, 'event.outcome': 'success' });
    t.match(audit[1], {
      'event.outcome': 'failure',
      'event.category': ['process'],
      'event.type': ['end'],
      'commbox_sso_bridge.exitCode': 1,
      'commbox_sso_bridge.signal': 'SIGTERM',
      'log.level': 'error',
    });
    t.equal(lines.at(-1), audit[1], 'the last line written');
  },
);

/** Opens a raw connection, sends `first`, then one byte of `drip` a second; resolves with what came back when it closes. */
function trickle(port: number, first: string, drip: string | undefined) {
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  let sent = 0;
  socket.on('data', (c) => (answer += String(c)));
  socket.on('error', () => {});
  socket.write(first);
  // Given up by the test after 30 s (the bridge should have closed it long before).
  const giveUp = setTimeout(() => socket.destroy(), 30_000);
  const timer = drip === undefined ? undefined : setInterval(() => socket.write(drip, () => sent++), 1000);
  return new Promise<{ answer: string; sent: number }>((ok) =>
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      ok({ answer, sent });
    }),
  );
}

t.test(
  'a request that trickles in (its body or its headers, or nothing at all) is answered 408 and closed; others are served',
  async (t) => {
    const { base, b, sandbox } = await startServer(t);
    const port = Number(new URL(base).port);
    const started = Date.now();
    const cut = Promise.all([
      trickle(
        port,
        'POST /initiate HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n',
        'a',
      ),
      trickle(port, 'POST /initiate HTTP/1.1\r\n', 'X'),
      trickle(port, '', undefined),
    ]);
    // Meanwhile a login goes through, and a keep-alive connection stays usable.
    const r = await b.walk(`${base}/login`, { stopAt: sandbox.loginUrl });
    t.ok(r.stoppedAt, 'a login is served while the trickling connections are open');
    const [body, headers, silent] = await cut;
    const seconds = (Date.now() - started) / 1000;
    for (const [what, c] of [
      ['a trickling body', body],
      ['trickling headers', headers],
      ['a connection that sends nothing', silent],
    ] as const) {
      t.match(c.answer, /^HTTP\/1\.1 408 /, `${what}: 408`);
      t.match(c.answer, /content-type: text\/html; charset=utf-8\r\n/, `${what}: a page`);
      t.match(c.answer, /<title>[^<]+<\/title>[\s\S]*Reference/, `${what}: with a reference`);
    }
    t.ok(body.sent < 20, `the body was cut after ${body.sent} bytes, a byte a second`);
    t.ok(
      seconds < REQUEST_RECEIVE_TIMEOUT_MS / 1000 + 10,
      `all cut within the bound (sanity bound only: ${seconds.toFixed(1)} s)`,
    );
    t.equal((await b.fetch(`${base}/healthz`)).status, 200, 'and the bridge serves on');
  },
);

t.test('METRICS_PORT serves /metrics apart from the bridge, with the standard process metric names', async (t) => {
  const metricsPort = await freePort();
  const { base, b } = await startServer(t, { METRICS_PORT: String(metricsPort) });
  const m = await b.fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  t.equal(m.status, 200);
  t.match(m.body, /commbox_bridge_logins_started_total/);
  t.match(m.body, /^process_cpu_seconds_total \d/m, 'process metrics, unprefixed');
  t.match(m.body, /^nodejs_heap_size_used_bytes \d/m, 'Node metrics, unprefixed');
  t.notMatch(m.body, /commbox_bridge_process_|commbox_bridge_nodejs_/, 'the bridge prefix only on its own metrics');
  t.ok(
    m.body.includes(`commbox_bridge_build_info{version="${version}",node="${process.version}"} 1`),
    "which release runs: package.json's version, on the metrics port",
  );
  const onPublic = await b.fetch(`${base}/metrics`);
  t.equal(onPublic.status, 404, 'not on the public port');
  t.match(onPublic.body, /\(not_found\)/, "the bridge's own 404 page");
});

t.test('a request that trickles in to the metrics port is cut too; /metrics is served meanwhile', async (t) => {
  const metricsPort = await freePort();
  const { b } = await startServer(t, { METRICS_PORT: String(metricsPort) });
  const cut = Promise.all([
    trickle(metricsPort, 'GET /metrics HTTP/1.1\r\n', 'X'),
    trickle(metricsPort, '', undefined),
  ]);
  t.equal(
    (await b.fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status,
    200,
    'a scrape is served while they are open',
  );
  const [headers, silent] = await cut;
  t.match(headers.answer, /^HTTP\/1\.1 408 /, 'trickling headers: 408');
  t.ok(headers.sent < 20, `cut after ${headers.sent} bytes, a byte a second`);
  t.match(silent.answer, /^HTTP\/1\.1 408 /, 'a connection that sends nothing: 408');
});

t.test('METRICS_HOST: metrics listen on loopback only by default; 0.0.0.0 opens them to other addresses', async (t) => {
  for (const [host, elsewhere] of [
    [undefined, false],
    ['0.0.0.0', true],
  ] as const) {
    const metricsPort = await freePort();
    // The public port on every interface, as by default: the metrics listener does not follow it.
    const { p, b } = await startServer(t, {
      HOST: '0.0.0.0',
      METRICS_PORT: String(metricsPort),
      ...(host === undefined ? {} : { METRICS_HOST: host }),
    });
    const line = p
      .out()
      .split('\n')
      .find((l) => l.includes('"metrics_listening"'));
    t.match(
      JSON.parse(line ?? '{}'),
      { address: host ?? '127.0.0.1', port: metricsPort },
      `${host ?? 'default'}: the address is logged`,
    );
    t.equal((await b.fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status, 200, 'served on 127.0.0.1');
    // Another address of this machine (a second loopback address stands for a network interface).
    const other = await b.fetch(`http://127.0.0.2:${metricsPort}/metrics`).then(
      (r) => r.status,
      (e: Error & { code?: string }) => e.code ?? e.message,
    );
    t.equal(
      other,
      elsewhere ? 200 : 'ECONNREFUSED',
      `${host ?? 'default'}: at another address, ${elsewhere ? 'served' : 'refused'}`,
    );
    p.child.kill('SIGKILL');
    await p.exited;
  }
});

t.test('OpenTelemetry variables that nothing reads: the start-up warns, naming them, never their values', async (t) => {
  const { p, base, b } = await startServer(t, {
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'authorization=Bearer%20metrics-key-0123456789',
    OTEL_BSP_SCHEDULE_DELAY: '1000',
  });
  t.equal((await b.fetch(`${base}/readyz`)).status, 200, 'not refused');
  const warning = p
    .out()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l['event'] === 'otel_variables_not_read');
  t.match(warning, { level: 40, variables: ['OTEL_METRICS_EXPORTER', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS'] });
  t.notOk(p.out().includes('metrics-key-0123456789'), 'the value is never logged');
});

t.test('METRICS_PORT=off: no metrics listener', async (t) => {
  const { base, b } = await startServer(t, { METRICS_PORT: 'off' });
  t.equal((await b.fetch(`${base}/readyz`)).status, 200);
  t.equal((await b.fetch(`${base}/metrics`)).status, 404);
});

t.test('--check reports the IdP and exits 0; exits 1 when the IdP is unreachable', async (t) => {
  const idp = await startHostileIdp();
  const sandbox = await startSandbox({ brand: 'acme' });
  t.teardown(async () => {
    await idp.close();
    await sandbox.close();
  });
  const env = {
    PUBLIC_URL: 'https://bridge.example.com',
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    COMMBOX_API_URL: sandbox.url,
    COMMBOX_API_KEY: 'k',
    COMMBOX_BRAND: 'acme',
    COMMBOX_LOGIN_URL: 'https://acme.commbox.io/login',
    COOKIE_SECRET,
    ALLOWED_GROUPS: 'commbox-agents',
  };
  const cwd = mkdtempSync(join(tmpdir(), 'bridge-'));
  const good = spawn(process.execPath, [...ENTRIES['source']!(), '--check'], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...TSX_ENV, ...env },
  });
  let out = '';
  good.stdout.on('data', (c) => (out += String(c)));
  t.equal(await new Promise((ok) => good.on('exit', ok)), 0);
  t.match(out, /configuration: ok/);
  t.match(out, /redirect URI https:\/\/bridge\.example\.com\/callback/);
  t.match(out, new RegExp(`IdP: ${idp.issuer}`));
  t.match(out, /CommBox API: reachable/);
  t.match(out, /ID token algorithm: +RS256 \(from the IdP metadata\)/);
  t.match(out, /RFC 9207 iss parameter: advertised/);
  t.match(out, /JWKS: .* \(1 key\(s\)\)/);
  t.notMatch(out, new RegExp(idp.clientSecret));
  const port = await freePort();
  const bad = spawn(process.execPath, [...ENTRIES['source']!(), '--check'], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '', ...TSX_ENV, ...env, OIDC_ISSUER: `http://127.0.0.1:${port}` },
  });
  let badOut = '';
  bad.stdout.on('data', (c) => (badOut += String(c)));
  t.equal(await new Promise((ok) => bad.on('exit', ok)), 1);
  t.match(
    badOut,
    /IdP: FAILED: OIDC discovery of http:\/\/127\.0\.0\.1:\d+ failed: the connection to 127\.0\.0\.1:\d+ was refused \(ECONNREFUSED\): check the URL and port/,
  );
  t.equal(badOut.match(/ECONNREFUSED/g)?.length, 1, 'said once');
  t.notMatch(badOut, /something went wrong/);

  // --ticket-for from the command line: one ticket asked (the key "k" is not the sandbox's: refused), and
  // arguments it cannot use stop it with the usage and exit code 2.
  const run = async (args: string[]) => {
    const child = spawn(process.execPath, [...ENTRIES['source']!(), '--check', ...args], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', ...TSX_ENV, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += String(c)));
    child.stderr.on('data', (c) => (stderr += String(c)));
    const code = await new Promise((ok) => child.on('exit', ok));
    return { code, stdout, stderr };
  };
  const before = sandbox.requests.length;
  const refused = await run(['--ticket-for', 'alice@example.com']);
  t.equal(refused.code, 1);
  t.match(refused.stdout, /CommBox ticket for "alice@example\.com": REFUSED: CommBox answered HTTP 401/);
  t.equal(sandbox.requests.length, before + 1, 'one ticket asked');
  const usage = await run(['--ticket-for', 'alice']);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /--ticket-for needs --email <address> or --phone <number>[\s\S]*Usage: npm run check-config/);
  t.equal(sandbox.requests.length, before + 1, 'nothing asked');
});

t.test('SIGHUP reads the secret files again: the new CommBox key is used from then on, never logged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-secrets-'));
  const keyFile = join(dir, 'commbox-api-key');
  writeFileSync(keyFile, 'sandbox-api-key-0123456789\n');
  const newKey = 'rotated-by-sighup-4b3a29181706';
  const { p, base, sandbox } = await startServer(t, {
    COMMBOX_API_KEY: '',
    COMMBOX_API_KEY_FILE: keyFile,
    // Neither the poll nor a 401 (the old key stays accepted) reads the file: only the signal.
    SECRET_RELOAD_INTERVAL_SEC: 'off',
  });
  const lines = () =>
    p
      .out()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(
    lines().find((l) => l['event'] === 'started'),
    {
      secrets: [{ secret: 'COMMBOX_API_KEY_FILE', file: keyFile, loadedAt: /^\d{4}-\d\d-\d\dT/ }],
    },
  );
  sandbox.apiKeys.add(newKey);
  writeFileSync(keyFile, `${newKey}\n`);
  p.child.kill('SIGHUP');
  await until(() => lines().some((l) => l['event'] === 'secret_reloaded'));
  t.match(
    lines().find((l) => l['event'] === 'secret_reloaded'),
    { secret: 'COMMBOX_API_KEY_FILE' },
  );
  const before = sandbox.requests.length;
  t.ok((await new Browser().walk(`${base}/login`, { stopAt: sandbox.loginUrl })).stoppedAt, 'the process is still up');
  t.same(
    sandbox.requests.slice(before).map((r) => r.authorization),
    [`Bearer ${newKey}`],
    'one request, with the new key',
  );
  t.notOk(p.out().includes(newKey) || p.err().includes(newKey), 'the new key is in no log line');
});
