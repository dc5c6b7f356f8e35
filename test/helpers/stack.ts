/**
 * Starts the whole stack on ephemeral ports for a test: an IdP (the real
 * `oidc-provider` demo IdP, or the scriptable hostile one), the CommBox sandbox,
 * and the bridge built by `buildApp`, listening on 127.0.0.1. Logs are captured.
 */
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import http from 'node:http';
import { buildApp, HTTP_SERVER_OPTIONS } from '../../src/app.js';
import { createBridge, reloadSecrets, type Bridge } from '../../src/bridge.js';
import { parseConfig, secretValues } from '../../src/config/parse.js';
import type { SecretReload } from '../../src/login/secret-reload.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../dev/commbox-sandbox.js';
import { startDemoIdp, type DemoIdp, type DemoIdpOptions } from '../../dev/idp.js';
import { createAuditLogger } from '../../src/observability/audit.js';
import { createLogger } from '../../src/observability/log.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { startHostileIdp, type HostileIdp } from './hostile-idp.js';
import { Browser, type Hop } from './browser.js';
import type { LoginTransaction } from '../../src/login/transaction.js';

export const COOKIE_SECRET = 'test-cookie-secret-0123456789-abcdefghijkl';

/**
 * A port nobody listens on (for connection-refused cases), and for servers run as
 * a separate process, which must be told their port (and their PUBLIC_URL) up front.
 */
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

/** An HTTP server listening on an ephemeral port (port 0), with the bridge's header limit and receive timeouts. */
async function listeningServer(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(HTTP_SERVER_OPTIONS);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, port: (server.address() as net.AddressInfo).port };
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
  /** The variables the bridge was started with. */
  env: Record<string, string>;
  app: FastifyInstance;
  bridge: Bridge;
  sandbox: Sandbox;
  logs: LogCapture;
  /** The audit logger's lines. */
  audit: LogCapture;
  browser(): Browser;
  /** Ticket requests the sandbox has received so far. */
  ticketRequests(): number;
  /** Reads the secret files again, as the bridge does every SECRET_RELOAD_INTERVAL_SEC and on SIGHUP. */
  secretReload: SecretReload;
  close(): Promise<void>;
}

export interface Stack<I> extends StackBase {
  idp: I;
}

/** Parses the configuration; when it is bad, stops what was started for it before throwing. */
function parseConfigOrClose(extraClose: () => Promise<void>, sandbox: Sandbox, env: Record<string, string>) {
  try {
    return parseConfig(env);
  } catch (e) {
    void sandbox.close();
    void extraClose();
    throw e;
  }
}

async function startBridge(
  { server, port }: { server: http.Server; port: number },
  given: Record<string, string>,
  sandbox: Sandbox,
  extraClose: () => Promise<void>,
  ownsSandbox = true,
): Promise<StackBase> {
  const base = `http://127.0.0.1:${port}`;
  const logs = new LogCapture();
  const env = {
    PUBLIC_URL: base,
    COMMBOX_API_URL: sandbox.url,
    COMMBOX_API_KEY: sandbox.apiKey,
    COMMBOX_BRAND: sandbox.brand,
    COMMBOX_LOGIN_URL: sandbox.loginUrl,
    COOKIE_SECRET,
    LOG_LEVEL: 'debug',
    // The IdPs of the tests sign in whom each test chooses; a test of the access
    // rules sets them (and may set this to false).
    ALLOW_ANY_AUTHENTICATED: 'true',
    ...given,
  };
  const config = parseConfigOrClose(
    async () => {
      server.close();
      await extraClose();
    },
    sandbox,
    env,
  );
  // One list, as server.ts has: a rotated secret's new value is added to it.
  const secrets = secretValues(config);
  const logger = createLogger({ level: config.logLevel, secrets, destination: logs, format: config.logFormat });
  const audit = new LogCapture();
  const auditLogger = createAuditLogger({
    secrets,
    destination: audit,
    format: config.logFormat,
  });
  // Default process metrics start timers; the tests need only the bridge's own.
  const bridge = await createBridge(config, { metrics: createMetrics({ defaults: false }) });
  const app = await buildApp({ bridge, logger, audit: auditLogger, server });
  await app.ready();
  const secretReload = reloadSecrets(bridge, { environment: env, logger, audit: auditLogger, scrubbed: secrets });
  return {
    base,
    env,
    app,
    bridge,
    sandbox,
    logs,
    audit,
    browser: () => new Browser(),
    ticketRequests: () => sandbox.requests.length,
    secretReload,
    async close() {
      secretReload.stop();
      await app.close();
      // The app did not open the server (it was listening already), so it does not close it.
      server.closeAllConnections();
      if (server.listening) await new Promise((ok) => server.close(ok));
      if (ownsSandbox) await sandbox.close();
      await extraClose();
    },
  };
}

interface AnyIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/** Starts the sandbox, the IdP (given the redirect URI) and the bridge wired to both. */
async function startStack<I extends AnyIdp>(
  startIdp: (redirectUri: string) => Promise<I>,
  env: Env | undefined,
  sandboxOpts?: SandboxOptions,
): Promise<Stack<I>> {
  const listening = await listeningServer();
  const sandbox = await startSandbox({ brand: 'acme', ...sandboxOpts });
  const idp = await startIdp(`http://127.0.0.1:${listening.port}/callback`);
  const s = await startBridge(
    listening,
    {
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      ...resolveEnv(env, sandbox),
    },
    sandbox,
    () => idp.close(),
  );
  return { ...s, idp };
}

/**
 * Another replica of `stack`'s bridge, as behind a load balancer: the same
 * configuration (PUBLIC_URL included), IdP and CommBox, on a port of its own
 * (`base`); its `browser()` sends PUBLIC_URL's Host, as the load balancer
 * passes it on. Closing it leaves the stack running.
 */
export async function startReplica(stack: StackBase, env: Record<string, string> = {}): Promise<StackBase> {
  const listening = await listeningServer();
  const replica = await startBridge(listening, { ...stack.env, ...env }, stack.sandbox, async () => {}, false);
  // Reached as through the load balancer: with PUBLIC_URL's Host, which it passes on.
  const host = new URL(replica.env['PUBLIC_URL']!).host;
  return { ...replica, base: `http://127.0.0.1:${listening.port}`, browser: () => new Browser({ headers: { host } }) };
}

/** The stack with the real `oidc-provider` IdP. */
export function startDemoStack(
  opts: { env?: Env; idp?: Partial<DemoIdpOptions>; sandbox?: SandboxOptions } = {},
): Promise<Stack<DemoIdp>> {
  return startStack(
    (redirectUri) =>
      startDemoIdp({
        redirectUris: [redirectUri],
        postLogoutRedirectUris: [new URL('/logged-out?done=1', redirectUri).href],
        ...opts.idp,
      }),
    opts.env,
    opts.sandbox,
  );
}

/** The stack with the scriptable hostile IdP. */
export function startHostileStack(
  opts: { env?: Env; alg?: 'RS256' | 'ES256'; issParameter?: boolean; clientSecret?: string } = {},
): Promise<Stack<HostileIdp>> {
  return startStack(async (redirectUri) => {
    const idp = await startHostileIdp({
      alg: opts.alg,
      issParameter: opts.issParameter,
      clientSecret: opts.clientSecret,
    });
    idp.redirectUris = [redirectUri];
    return idp;
  }, opts.env);
}

/**
 * Signs in through the demo IdP's login form: walks from `start` to the form,
 * posts the credentials, and walks on until the browser is sent to `stopAt`
 * (the CommBox login URL) or gets a page.
 */
export async function signInWithForm(
  browser: Browser,
  start: string,
  username: string,
  stopAt: string,
  opts: { method?: string; body?: string; headers?: Record<string, string>; password?: string } = {},
) {
  const first = await browser.walk(start, { stopAt, method: opts.method, body: opts.body, headers: opts.headers });
  if (first.stoppedAt || !first.last.url.includes('/interaction/')) return { ...first, formPage: undefined }; // already signed in, or refused
  const second = await submitLoginForm(browser, first.last, username, stopAt, opts.password);
  return {
    hops: [...first.hops, ...second.hops],
    last: second.last,
    stoppedAt: second.stoppedAt,
    formPage: first.last,
  };
}

/**
 * An outsider's round against `base`: a real `/login` for a login cookie of its
 * own, then the callback with a forged `code` (the IdP refuses it at the token endpoint).
 */
export async function forgedCallback(
  base: string,
  browser: Browser,
  issuer: string,
  code: string,
  headers: Record<string, string> = {},
): Promise<Hop> {
  const start = await browser.fetch(`${base}/login`);
  const state = new URL(start.location!).searchParams.get('state')!;
  return browser.fetch(`${base}/callback?${new URLSearchParams({ state, code, iss: issuer })}`, { headers });
}

/** Posts the demo IdP's login form found on `page`, and walks on until `stopAt` or a page. */
export function submitLoginForm(browser: Browser, page: Hop, username: string, stopAt: string, password = 'demo') {
  const action = /action="([^"]+)"/.exec(page.body)?.[1];
  if (!action) throw new Error(`no login form at ${page.url}: ${page.status}`);
  return browser.walk(new URL(action, page.url).href, {
    stopAt,
    method: 'POST',
    body: new URLSearchParams({ username, password }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/**
 * Starts a login at `start` (a URL of the bridge at `stack.base`) and re-seals
 * its transaction as `edit` changes it, which only a holder of COOKIE_SECRET
 * can do: for tests that switch off a check made when the login starts, to
 * show the one made again at the callback. Returns the IdP authorization URL
 * to walk on with `browser`.
 */
export async function startEditedLogin(
  stack: StackBase,
  browser: Browser,
  start: string,
  edit: (tx: LoginTransaction) => LoginTransaction,
): Promise<string> {
  const host = new URL(stack.base).host;
  const before = new Set(browser.jar.names(host));
  const hop = await browser.fetch(start);
  if (hop.status !== 302 || hop.location === undefined)
    throw new Error(`${start} did not start a login: ${hop.status}`);
  const state = new URL(hop.location).searchParams.get('state') ?? '';
  const added = browser.jar.names(host).filter((n) => !before.has(n));
  for (const name of added) {
    const opened = stack.bridge.sealer.open(browser.jar.get(host, name)!, name, state);
    if (!opened.ok) continue;
    browser.jar.set(host, name, stack.bridge.sealer.seal(edit(opened.tx), name));
    return hop.location;
  }
  throw new Error(`no login cookie of ${start} opens for its state`);
}
