/**
 * An https issuer whose metadata names an http authorization endpoint: the
 * bridge, run as operators run it (trusting the IdP's test CA through
 * NODE_EXTRA_CA_CERTS), is not ready and says why in /readyz, and /login answers
 * the 503 "unavailable" page instead of sending anyone to http.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startSandbox } from '../../dev/commbox-sandbox.js';
import { Browser } from '../helpers/browser.js';
import { startHostileIdp } from '../helpers/hostile-idp.js';
import { COOKIE_SECRET, freePort } from '../helpers/stack.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const server = fileURLToPath(new URL('../../src/server.ts', import.meta.url));

t.test('an http authorization_endpoint for an https issuer: /readyz names it, /login is a 503 page', async (t) => {
  const tls = selfSignedCertificate();
  const idp = await startHostileIdp({ tls });
  const sandbox = await startSandbox({ brand: 'acme' });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  idp.redirectUris = [`${base}/callback`];
  idp.metadata = { authorization_endpoint: `${idp.issuer.replace('https:', 'http:')}/authorize` };
  const child = spawn(process.execPath, [`--import=${tsx}`, server], {
    cwd: mkdtempSync(`${tmpdir()}/bridge-`),
    env: {
      PATH: process.env['PATH'] ?? '',
      // The tests' tsconfig.json, not the empty working directory's: compiled as the tests are.
      TSX_TSCONFIG_PATH: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)),
      NODE_EXTRA_CA_CERTS: tls.certFile,
      PUBLIC_URL: base,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      ALLOWED_GROUPS: 'commbox-agents',
      COMMBOX_API_URL: sandbox.url,
      COMMBOX_API_KEY: sandbox.apiKey,
      COMMBOX_BRAND: 'acme',
      COMMBOX_LOGIN_URL: sandbox.loginUrl,
      COOKIE_SECRET,
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_PORT: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += String(c)));
  child.stderr.on('data', (c) => (stderr += String(c)));
  t.teardown(async () => {
    child.kill('SIGKILL');
    await idp.close();
    await sandbox.close();
  });

  // The bridge retries discovery in the background; wait (bounded) until it has tried.
  const b = new Browser();
  let ready: { status: number; body: string } = { status: 0, body: '' };
  for (let i = 0; i < 200 && !/authorization_endpoint/.test(ready.body); i++) {
    ready = await b.fetch(`${base}/readyz`).catch(() => ({ status: 0, body: '' }));
    if (!/authorization_endpoint/.test(ready.body)) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(ready.status, 503, `not ready (stderr: ${stderr.slice(0, 500)})`);
  t.match(JSON.parse(ready.body), {
    status: 'not ready',
    problems: [
      /^idp: metadata\.authorization_endpoint: the IdP metadata authorization_endpoint is not https: http:\/\/127\.0\.0\.1:\d+\/authorize$/,
    ],
  });
  t.ok(idp.stats.discovery >= 1, 'the metadata was fetched over https (the test CA is trusted)');

  const login = await b.fetch(`${base}/login`);
  t.equal(login.status, 503, '/login: the unavailable page, not a 500');
  t.equal(login.location, undefined, 'nobody is sent to the http endpoint');
  t.equal(login.headers['retry-after'], '30');
  t.match(login.body, /\(idp_unavailable\)/);
  t.equal(idp.stats.authorize, 0);
  t.match(stdout, /"check":"metadata\.authorization_endpoint"/, 'the log line names the check');
});
