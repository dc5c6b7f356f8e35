/**
 * The process as operators run it: configuration errors stop the start with one
 * message; a `.env` file is read; SIGTERM stops it cleanly.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { startSandbox } from '../src/demo/commbox-sandbox.js';
import { Browser } from './helpers/browser.js';
import { startHostileIdp } from './helpers/hostile-idp.js';
import { COOKIE_SECRET, freePort } from './helpers/stack.js';

const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function run(cwd: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [`--import=${tsx}`, server], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  for (const v of ['PUBLIC_URL', 'OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'COMMBOX_API_KEY', 'COMMBOX_BRAND', 'COMMBOX_LOGIN_URL', 'COOKIE_SECRET', 'PORT']) {
    t.match(err, new RegExp(`- ${v}: `), `${v} is named`);
  }
  t.match(err, /Invalid configuration \(9 problems\)/);
  t.notMatch(err, /\n\s+at /, 'no stack trace');
  t.notMatch(err, /short-secret/, 'the secret is not echoed');
  t.equal(p.out(), '');
});

t.test('starts from a .env file, serves a login, stops on SIGTERM with exit 0', async (t) => {
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
  writeFileSync(join(cwd, '.env'), [
    `PUBLIC_URL=${base}`, `OIDC_ISSUER=${idp.issuer}`, `OIDC_CLIENT_ID=${idp.clientId}`, `OIDC_CLIENT_SECRET=${idp.clientSecret}`,
    `COMMBOX_API_URL=${sandbox.url}`, `COMMBOX_API_KEY=${sandbox.apiKey}`, `COMMBOX_BRAND=acme`, `COMMBOX_LOGIN_URL=${sandbox.loginUrl}`,
    `COOKIE_SECRET=${COOKIE_SECRET}`, 'PORT=1', 'HOST=127.0.0.1',
  ].join('\n'));
  // The environment wins over the file.
  const p = run(cwd, { PORT: String(port) });
  t.teardown(() => p.child.kill('SIGKILL'));
  const b = new Browser();
  let healthy = false;
  for (let i = 0; i < 100 && !healthy; i++) {
    healthy = await b.fetch(`${base}/healthz`).then((r) => r.status === 200, () => false);
    if (!healthy) await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(healthy, `healthy (stderr: ${p.err()})`);
  const r = await b.walk(`${base}/login`, { stopAt: sandbox.loginUrl });
  t.ok(r.stoppedAt, 'a login goes through');
  p.child.kill('SIGTERM');
  t.equal(await p.exited, 0);
  const lines = p.out().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(lines.some((l) => l['msg'] === 'IdP discovered'));
  t.ok(lines.some((l) => l['msg'] === 'login completed' && l['username'] === 'alice'));
  t.ok(lines.some((l) => l['msg'] === 'stopped'));
  for (const secret of [idp.clientSecret, sandbox.apiKey, COOKIE_SECRET]) t.notOk(p.out().includes(secret));
});
