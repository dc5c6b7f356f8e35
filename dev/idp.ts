/**
 * A development IdP: the `oidc-provider` package with a small login form and a
 * few users. For `npm run demo` and the tests; never for production.
 */
import http from 'node:http';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { escapeHtml } from '../src/web/html.js';

/** A demo user; `password` is the same for all (see the login form). */
export interface DemoUser {
  sub: string;
  preferred_username: string;
  email: string;
  email_verified: boolean;
  given_name: string;
  family_name: string;
  phone_number?: string;
  groups: string[];
  /** Google Workspace's hosted domain, when a test plays Google. */
  hd?: string;
}

export const DEMO_PASSWORD = 'demo';

export const DEMO_USERS: Record<string, DemoUser> = {
  alice: {
    sub: 'a1f3c1de-0001-4c3a-9d2e-alice0000001',
    preferred_username: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    given_name: 'Alice',
    family_name: 'Agent',
    phone_number: '+442501234567',
    groups: ['commbox-agents'],
  },
  bob: {
    sub: 'b0b0b0b0-0002-4c3a-9d2e-bob000000002',
    preferred_username: 'bob',
    email: 'bob@example.com',
    email_verified: true,
    given_name: 'Bob',
    family_name: 'Outsider',
    groups: ['finance'],
  },
  carol: {
    sub: 'ca401ca4-0003-4c3a-9d2e-carol0000003',
    preferred_username: 'carol',
    email: 'carol@example.com',
    email_verified: false,
    given_name: 'Carol',
    family_name: 'Unverified',
    groups: ['commbox-agents'],
  },
};

export interface DemoIdpOptions {
  port?: number;
  /** Listening address (127.0.0.1). */
  host?: string;
  /** The issuer URL, when browsers reach the IdP by another name than `http://host:port`. */
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUris: string[];
  /** Where RP-initiated logout may send the browser back (the bridge's `<PUBLIC_URL>/logged-out?done=1`). */
  postLogoutRedirectUris?: string[];
  /** ID token algorithm of the client (RS256 by default). */
  idTokenAlg?: 'RS256' | 'ES256' | 'PS256';
  /** When false, profile claims go into the ID token too (oidc-provider puts them only in userinfo by default). */
  conformIdTokenClaims?: boolean;
  users?: Record<string, DemoUser>;
  /** How the client authenticates at the token endpoint (client_secret_basic). */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** The client's public keys, for private_key_jwt. */
  clientJwks?: { keys: object[] };
  /** Sees each request as it arrives (tests: the headers the bridge sent). */
  onRequest?: (req: http.IncomingMessage) => void;
}

export interface DemoIdp {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * The client secrets the token endpoint accepts (`client_secret_basic`), `clientSecret` at first:
   * a rotation adds the new one, then removes the old, as IdPs that hold several secrets allow.
   */
  readonly clientSecrets: Set<string>;
  readonly provider: Provider;
  close(): Promise<void>;
}

const CLAIMS = {
  openid: ['sub', 'hd'],
  email: ['email', 'email_verified'],
  profile: ['preferred_username', 'given_name', 'family_name', 'name', 'groups'],
  phone: ['phone_number'],
};

function signingKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: `rsa-${randomUUID().slice(0, 8)}`, use: 'sig', alg: 'RS256' },
    { ...ec, kid: `ec-${randomUUID().slice(0, 8)}`, use: 'sig', alg: 'ES256' },
  ];
}

function loginForm(uid: string, hint: string, error?: string): string {
  const users = Object.keys(DEMO_USERS).join(', ');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo IdP: sign in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}label{display:block;margin-top:.75rem}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}button{margin-top:1rem;font:inherit;padding:.5rem 1rem}.error{color:#a40000}</style>
</head><body><main>
<h1>Demo IdP: sign in</h1>
<p>Demo users: ${escapeHtml(users)} (alice is an agent, bob is outside the allowed group, carol's email is unverified). Password: <code>${DEMO_PASSWORD}</code>.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" value="${escapeHtml(hint)}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form></main></body></html>`;
}

/** Starts the demo IdP on its own HTTP server. */
export async function startDemoIdp(opts: DemoIdpOptions): Promise<DemoIdp> {
  const host = opts.host ?? '127.0.0.1';
  const users = opts.users ?? DEMO_USERS;
  const clientId = opts.clientId ?? 'commbox-bridge';
  const clientSecret = opts.clientSecret ?? 'demo-client-secret-0123456789';

  // The port must be known before the provider (it is part of the issuer).
  const server = http.createServer();
  await new Promise<void>((ok) => server.listen(opts.port ?? 0, host, ok));
  const issuer = opts.issuer ?? `http://${host}:${(server.address() as AddressInfo).port}`;

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: opts.redirectUris,
        post_logout_redirect_uris: opts.postLogoutRedirectUris ?? [],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: opts.tokenEndpointAuthMethod ?? 'client_secret_basic',
        id_token_signed_response_alg: opts.idTokenAlg ?? 'RS256',
        ...(opts.clientJwks ? { jwks: opts.clientJwks } : {}),
      },
    ],
    jwks: { keys: signingKeys() },
    claims: CLAIMS,
    scopes: ['openid', 'email', 'profile', 'phone'],
    conformIdTokenClaims: opts.conformIdTokenClaims ?? true,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
    },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const u = Object.values(users).find((x) => x.sub === id);
      return u
        ? { accountId: id, claims: async () => ({ ...u, name: `${u.given_name} ${u.family_name}` }) }
        : undefined;
    },
    // A first-party client: no consent screen.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const clientId = ctx.oidc.client!.clientId;
      const session = ctx.oidc.session!;
      const existing = ctx.oidc.result?.['consent']?.grantId ?? session.grantIdFor(clientId);
      if (existing) {
        const grant = await ctx.oidc.provider.Grant.find(existing);
        if (grant) return grant;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId: session.accountId! });
      const scope = ctx.oidc.params!['scope'];
      grant.addOIDCScope(typeof scope === 'string' ? scope : 'openid');
      await grant.save();
      session.grantIdFor(clientId, grant.jti);
      return grant;
    },
  };
  const provider = new Provider(issuer, configuration);
  const handle = provider.callback();
  const clientSecrets = new Set([clientSecret]);
  // oidc-provider holds one secret per client: a token request with an accepted one reaches it
  // with that one, any other with a wrong one.
  const acceptedSecret = (req: http.IncomingMessage) => {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (req.method !== 'POST' || !req.url?.startsWith('/token') || basic === undefined) return;
    const [id = '', secret = ''] = Buffer.from(basic, 'base64')
      .toString()
      .split(':')
      .map((p) => decodeURIComponent(p.replace(/\+/g, ' ')));
    const used = clientSecrets.has(secret) ? clientSecret : `${clientSecret}-not-accepted`;
    req.headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(used)}`).toString('base64')}`;
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    opts.onRequest?.(req);
    const url = new URL(req.url ?? '/', issuer);
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(url.pathname);
    acceptedSecret(req);
    if (!m) return void handle(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        const hint = typeof details.params['login_hint'] === 'string' ? details.params['login_hint'] : '';
        if (!m[2]) {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
          return void res.end(loginForm(details.uid, hint));
        }
        let body = '';
        for await (const chunk of req) body += String(chunk);
        const form = new URLSearchParams(body);
        const user = users[form.get('username') ?? ''];
        if (!user || form.get('password') !== DEMO_PASSWORD) {
          res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
          return void res.end(loginForm(details.uid, form.get('username') ?? '', 'Unknown user or wrong password.'));
        }
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: user.sub } },
          { mergeWithLastSubmission: false },
        );
      } catch (e) {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`Sign-in failed: ${(e as Error).message}`);
      }
    })();
  });

  return {
    issuer,
    clientId,
    clientSecret,
    clientSecrets,
    provider,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
