/**
 * Tracing off (no OTEL endpoint) costs nothing: the SDK is never loaded, a span
 * is the step itself, and outbound headers go out untouched.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import t from 'tap';
import { inSpan, startTracing, tracer, withTraceHeaders, type SdkLoader } from '../../src/observability/tracing.js';

const root = join(import.meta.dirname, '..', '..');
const report = { registry: new Registry(), log: { warn: () => {} } };

t.test('tracing off: the SDK loader is never called, steps run as they are', async (t) => {
  let loads = 0;
  const loader: SdkLoader = () => {
    loads++;
    return Promise.reject(new Error('not to be loaded'));
  };
  t.equal(await startTracing(undefined, report, loader), undefined);
  t.equal(loads, 0, 'not loaded');
  t.equal(tracer(), undefined);
  t.equal(await inSpan('step', {}, async () => 42), 42);
  const headers = { authorization: 'Bearer x' };
  t.equal(withTraceHeaders(headers), headers, 'the same headers, not a copy');
  // The loader is what tracing on calls: once.
  await t.rejects(startTracing({ tracesUrl: 'http://c:4318/v1/traces' } as never, report, loader), /not to be loaded/);
  t.equal(loads, 1);
});

/** The module URLs a child process resolved while it imported what server.ts imports and started tracing. */
function modulesLoaded(tracingEnv: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-modules-'));
  const list = join(dir, 'loaded.txt');
  writeFileSync(list, '');
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(list)}, r.url + '\\n');
  return r;
}`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hooks).href)});`,
  );
  const script = `
    const { parseConfig } = await import('./src/config/parse.ts');
    await import('./src/app.ts');
    await import('./src/bridge.ts');
    await import('./src/check-config.ts');
    const { startTracing, stopTracing } = await import('./src/observability/tracing.ts');
    const env = { ...${JSON.stringify({
      OIDC_ISSUER: 'https://idp.example.com',
      OIDC_CLIENT_ID: 'bridge',
      OIDC_CLIENT_SECRET: 'client-secret-0123456789',
      PUBLIC_URL: 'https://sso.example.com',
      COMMBOX_API_URL: 'https://api.commbox.io',
      COMMBOX_API_KEY: 'commbox-key-0123456789',
      COMMBOX_BRAND: 'brand',
      COMMBOX_LOGIN_URL: 'https://app.commbox.io/login',
      COOKIE_SECRET: 'test-cookie-secret-0123456789-abcdefghijkl',
      ALLOW_ANY_AUTHENTICATED: 'true',
    })}, ...${JSON.stringify(tracingEnv)} };
    const { Registry } = await import('prom-client');
    await startTracing(parseConfig(env).tracing, { registry: new Registry(), log: { warn() {} } });
    await stopTracing();
  `;
  execFileSync(process.execPath, ['--import', register, '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { PATH: process.env['PATH'] },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return readFileSync(list, 'utf8').split('\n').filter(Boolean);
}

t.test('tracing off: no module of OpenTelemetry is ever loaded', async (t) => {
  const off = modulesLoaded({});
  t.ok(
    off.some((u) => u.includes('/node_modules/fastify/')),
    'the list is of what was loaded',
  );
  t.same(
    off.filter((u) => u.includes('@opentelemetry') || u.includes('otel-sdk')),
    [],
    'nothing of OpenTelemetry',
  );
  // The same process with an endpoint loads the SDK: the list would show it.
  const on = modulesLoaded({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
  t.ok(
    on.some((u) => u.includes('/@opentelemetry/sdk-trace-base/')),
    'with an endpoint, the SDK is loaded',
  );
  t.ok(on.some((u) => u.endsWith('/src/observability/otel-sdk.ts')));
});
