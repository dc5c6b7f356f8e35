/**
 * Starts the whole stack on ephemeral ports for a test: an IdP (the real
 * `oidc-provider` demo IdP, or the scriptable hostile one), the CommBox sandbox,
 * and the bridge built by `buildApp`, listening on 127.0.0.1. Logs are captured.
 */
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { parseConfig, secretValues } from '../../src/config.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/demo/commbox-sandbox.js';
import { startDemoIdp, type DemoIdp, type DemoIdpOptions } from '../../src/demo/idp.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { startHostileIdp, type HostileIdp } from './hostile-idp.js';
import { Browser } from './browser.js';

export const COOKIE_SECRET = 'test-cookie-secret-0123456789-abcdefghijkl';

export function freePort(): Promise<number> {
  return new Promise((ok, no) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => ok(port));
    });
    s.on('error', no);
  });
}

/** Captured log lines, parsed. */
export class LogCapture {
  readonly lines: string[] = [];
  write(s: string): void {
    this.lines.push(s);
  }
  get entries(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  get text(): string {
    return this.lines.join('');
  }
  find(pred: (e: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
    return this.entries.find(pred);
  }
}

/** Extra variables, or a function of the sandbox that returns them. */
export type Env = Record<string, string> | ((sandbox: Sandbox) => Record<string, string>);
const resolveEnv = (env: Env | undefined, sandbox: Sandbox) => (typeof env === 'function' ? env(sandbox) : env);

interface StackBase {
  base: string;
  app: FastifyInstance;
  bridge: Bridge;
  sandbox: Sandbox;
  logs: LogCapture;
  /** The audit logger's lines. */
  audit: LogCapture;
  browser(): Browser;
  /** Ticket requests the sandbox has received so far. */
  ticketRequests(): number;
  close(): Promise<void>;
}

export interface Stack<I> extends StackBase {
  idp: I;
}

async function startBridge(port: number, env: Record<string, string>, sandbox: Sandbox, extraClose: () => Promise<void>): Promise<StackBase> {
  const base = `http://127.0.0.1:${port}`;
  const logs = new LogCapture();
  const config = parseConfig({
    PUBLIC_URL: base,
    COMMBOX_API_URL: sandbox.url,
    COMMBOX_API_KEY: sandbox.apiKey,
    COMMBOX_BRAND: sandbox.brand,
    COMMBOX_LOGIN_URL: sandbox.loginUrl,
    COOKIE_SECRET,
    LOG_LEVEL: 'debug',
    ...env,
  });
  const logger = createLogger({ level: config.logLevel, secrets: secretValues(config), destination: logs });
  const audit = new LogCapture();
  const auditLogger = createLogger({ level: 'info', secrets: secretValues(config), destination: audit, name: 'commbox-sso-bridge.audit' });
  // Default process metrics start timers; the tests need only the bridge's own.
  const bridge = createBridge(config, { metrics: createMetrics({ defaults: false }) });
  const app = await buildApp({ bridge, logger, audit: auditLogger });
  await app.listen({ port, host: '127.0.0.1' });
  return {
    base,
    app,
    bridge,
    sandbox,
    logs,
    audit,
    browser: () => new Browser(),
    ticketRequests: () => sandbox.requests.length,
    async close() {
      await app.close();
      await sandbox.close();
      await extraClose();
    },
  };
}

/** The stack with the real `oidc-provider` IdP. */
export async function startDemoStack(
  opts: { env?: Env; idp?: Partial<DemoIdpOptions>; sandbox?: SandboxOptions } = {},
): Promise<Stack<DemoIdp>> {
  const port = await freePort();
  const sandbox = await startSandbox({ brand: 'acme', ...opts.sandbox });
  const idp = await startDemoIdp({ redirectUris: [`http://127.0.0.1:${port}/callback`], ...opts.idp });
  const s = await startBridge(
    port,
    { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret, ...resolveEnv(opts.env, sandbox) },
    sandbox,
    () => idp.close(),
  );
  return { ...s, idp };
}

/** The stack with the scriptable hostile IdP. */
export async function startHostileStack(
  opts: { env?: Env; alg?: 'RS256' | 'ES256'; issParameter?: boolean } = {},
): Promise<Stack<HostileIdp>> {
  const port = await freePort();
  const sandbox = await startSandbox({ brand: 'acme' });
  const idp = await startHostileIdp({ alg: opts.alg, issParameter: opts.issParameter });
  idp.redirectUris = [`http://127.0.0.1:${port}/callback`];
  const s = await startBridge(
    port,
    { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret, ...resolveEnv(opts.env, sandbox) },
    sandbox,
    () => idp.close(),
  );
  return { ...s, idp };
}

/**
 * Signs in through the demo IdP's login form: walks from `start` to the form,
 * posts the credentials, and walks on until the browser is sent to `stopAt`
 * (the CommBox login URL) or gets a page.
 */
export async function signInWithForm(browser: Browser, start: string, username: string, stopAt: string, opts: { method?: string; body?: string; headers?: Record<string, string>; password?: string } = {}) {
  const first = await browser.walk(start, { stopAt, method: opts.method, body: opts.body, headers: opts.headers });
  if (first.stoppedAt || !first.last.url.includes('/interaction/')) return { ...first, formPage: undefined }; // already signed in, or refused
  const action = /action="([^"]+)"/.exec(first.last.body)?.[1];
  if (!action) throw new Error(`no login form at ${first.last.url}: ${first.last.status}`);
  const form = new URLSearchParams({ username, password: opts.password ?? 'demo' }).toString();
  const second = await browser.walk(new URL(action, first.last.url).href, {
    stopAt,
    method: 'POST',
    body: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  return { hops: [...first.hops, ...second.hops], last: second.last, stoppedAt: second.stoppedAt, formPage: first.last };
}
