/**
 * A scriptable OpenID Provider for the hostile-IdP suite (the OpenID Foundation
 * RP certification list): honest by default, it misbehaves in exactly one way
 * when `idp.mode` says so. Authorization auto-approves `idp.user` (no form).
 */
import http from 'node:http';
import https from 'node:https';
import { createHash, randomBytes, randomUUID, createPublicKey, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';

export type HostileMode =
  | 'ok'
  | 'bad-sig'
  | 'wrong-aud'
  | 'extra-aud'
  | 'azp-mismatch'
  | 'wrong-iss'
  | 'expired'
  | 'no-iat'
  | 'no-exp'
  | 'no-sub'
  | 'no-nonce'
  | 'nonce-mismatch'
  | 'alg-none'
  | 'hs256-client-secret'
  | 'hs256-public-key'
  | 'kid-unknown'
  | 'kid-absent-single'
  | 'multiple-keys-no-kid'
  | 'state-mismatch'
  | 'iss-param-mismatch'
  | 'iss-param-missing'
  | 'userinfo-only-claims'
  | 'userinfo-bad-sub'
  | 'error-response'
  | 'token-error'
  | 'token-500'
  | 'skew-small'
  | 'skew-large'
  | 'userinfo-500'
  | 'token-challenge'
  | 'token-challenge-other'
  | 'token-any-code'
  | 'token-echo'
  | 'token-echo-auth'
  | 'token-code-first'
  | 'token-client-500'
  | 'token-bad-json'
  | 'token-invalid-client-400'
  | 'token-401-unauthorized-client'
  | 'token-huge'
  | 'token-not-bearer'
  | 'userinfo-jwt'
  | 'email-verified-userinfo-only'
  | 'token-drip'
  | 'expired-45s-ago'
  | 'auth-time-old'
  | 'no-auth-time'
  | 'userinfo-503'
  | 'userinfo-other-sub'
  | 'iat-future';

interface Key {
  privateKey: jose.CryptoKey;
  publicKey: jose.CryptoKey;
  jwk: jose.JWK;
}

export interface HostileUser {
  sub: string;
  [claim: string]: unknown;
}

export interface HostileIdp {
  mode: HostileMode;
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly alg: string;
  redirectUris: string[];
  users: Record<string, HostileUser>;
  user: string;
  keys: Key[];
  stats: { authorize: number; token: number; userinfo: number; jwks: number; discovery: number };
  /** Milliseconds the token, userinfo and JWKS endpoints wait before answering (slow but answering). */
  delayMs: { token: number; userinfo: number; jwks: number };
  /** Delayed requests whose connection the client closed before the answer. */
  abandoned: { token: number; userinfo: number; jwks: number };
  /** Delayed requests waiting for their answer now, their connection still open. */
  waiting: { token: number; userinfo: number; jwks: number };
  lastAuthorize: Record<string, string> | undefined;
  /** The last authorization request's query as it arrived, repeated parameters included. */
  lastAuthorizeQuery: URLSearchParams | undefined;
  /** The `code` of the last token request, as sent. */
  lastTokenCode: string | undefined;
  /** Every token request as it arrived: its Authorization header and its form body (for redaction tests). */
  tokenRequests: { authorization: string | undefined; body: string }[];
  /** How the client authenticated at the last token request. */
  lastTokenAuth: 'basic' | 'post' | 'private_key_jwt' | undefined;
  /** private_key_jwt: the client's public key (assertions are verified with it), and the last assertion. */
  clientPublicKey: KeyObject | undefined;
  lastClientAssertion: string | undefined;
  /** Every code, access token and ID token handed out (for redaction tests). */
  issued: string[];
  /** Discovery answers 503 while true. */
  down: boolean;
  /** The JWKS endpoint answers 503 while true. */
  jwksDown: boolean;
  /** Set: the userinfo endpoint answers 500, or never answers (the client's deadline ends it). */
  userinfoFault: 'status-500' | 'hang' | undefined;
  /**
   * The IdP's single sign-on session, as the epoch second its user signed in:
   * while set, an authorization request without `prompt=login` is answered from it
   * (its `auth_time`), and one with `prompt=login` signs in afresh (now).
   */
  sessionAuthTime: number | undefined;
  /** How far the IdP's clock is ahead of the machine's (negative: behind), in seconds: its ID tokens' times. */
  clockOffsetSec: number;
  /** Discovery metadata to add or replace (e.g. an http endpoint). */
  metadata: Record<string, unknown>;
  /**
   * When set, access tokens are JWTs signed with the current key carrying these
   * claims (beside iss, sub, iat, exp); `tamper` spoils one thing.
   */
  accessTokenJwt: { claims: Record<string, unknown>; tamper?: 'sig' | 'sub' | 'exp' | 'iss' | 'alg' } | undefined;
  /** Puts a new signing key first; the old one stays published. */
  rotate(opts?: { dropOld?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export const HOSTILE_USERS: Record<string, HostileUser> = {
  alice: {
    sub: 'u-alice',
    preferred_username: 'alice',
    email: 'alice@example.com',
    email_verified: true,
    given_name: 'Alice',
    family_name: 'Liddell',
    phone_number: '+442501234567',
    groups: ['commbox-agents'],
  },
  bob: {
    sub: 'u-bob',
    preferred_username: 'bob',
    email: 'bob@example.com',
    email_verified: true,
    given_name: 'Bob',
    family_name: 'Builder',
    groups: ['finance'],
  },
  carol: {
    sub: 'u-carol',
    preferred_username: 'carol',
    email: 'carol@example.com',
    email_verified: false,
    given_name: 'Carol',
    family_name: 'Danvers',
    groups: ['commbox-agents'],
  },
};

export async function startHostileIdp(
  opts: {
    alg?: 'RS256' | 'ES256';
    issParameter?: boolean;
    tls?: { key: string; cert: string };
    clientSecret?: string;
  } = {},
): Promise<HostileIdp> {
  const alg = opts.alg ?? 'RS256';
  const issParameter = opts.issParameter ?? true;
  const mk = async (): Promise<Key> => {
    const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
    const jwk = await jose.exportJWK(publicKey);
    return { privateKey, publicKey, jwk: { ...jwk, kid: randomUUID(), alg, use: 'sig' } };
  };
  const codes = new Map<
    string,
    {
      user: string;
      nonce: string | undefined;
      challenge: string | undefined;
      redirectUri: string;
      authTime: number | undefined;
    }
  >();
  const tokens = new Map<string, string>();
  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }) : http.createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const issuer = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const idp: HostileIdp = {
    mode: 'ok',
    issuer,
    clientId: 'bridge',
    clientSecret: opts.clientSecret ?? 'bridge-client-secret-0123456789',
    alg,
    redirectUris: [],
    users: structuredClone(HOSTILE_USERS),
    user: 'alice',
    keys: [await mk()],
    stats: { authorize: 0, token: 0, userinfo: 0, jwks: 0, discovery: 0 },
    delayMs: { token: 0, userinfo: 0, jwks: 0 },
    abandoned: { token: 0, userinfo: 0, jwks: 0 },
    waiting: { token: 0, userinfo: 0, jwks: 0 },
    lastAuthorize: undefined,
    lastAuthorizeQuery: undefined,
    issued: [],
    lastTokenCode: undefined,
    tokenRequests: [],
    lastTokenAuth: undefined,
    clientPublicKey: undefined,
    lastClientAssertion: undefined,
    down: false,
    jwksDown: false,
    userinfoFault: undefined,
    sessionAuthTime: undefined,
    clockOffsetSec: 0,
    metadata: {},
    accessTokenJwt: undefined,
    async rotate({ dropOld = false } = {}) {
      const k = await mk();
      idp.keys = dropOld ? [k] : [k, ...idp.keys];
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };

  const b64u = (s: string) => Buffer.from(s).toString('base64url');

  async function idToken(user: HostileUser, nonce: string | undefined, authTime: number | undefined): Promise<string> {
    const m = idp.mode;
    const now = Math.floor(Date.now() / 1000 + idp.clockOffsetSec);
    let claims: Record<string, unknown> = {
      iss: issuer,
      sub: user.sub,
      aud: idp.clientId,
      iat: now,
      exp: now + 300,
      auth_time: authTime ?? now,
      nonce,
    };
    if (m !== 'userinfo-only-claims' && m !== 'userinfo-bad-sub' && m !== 'userinfo-500' && m !== 'userinfo-jwt')
      claims = { ...user, ...claims };
    if (m === 'email-verified-userinfo-only') delete claims['email_verified'];
    if (m === 'wrong-aud') claims['aud'] = 'someone-else';
    if (m === 'extra-aud') claims['aud'] = [idp.clientId, 'someone-else'];
    if (m === 'azp-mismatch') {
      claims['aud'] = [idp.clientId, 'someone-else'];
      claims['azp'] = 'someone-else';
    }
    if (m === 'wrong-iss') claims['iss'] = 'https://evil.example';
    if (m === 'expired') {
      claims['iat'] = now - 7200;
      claims['exp'] = now - 3600;
    }
    if (m === 'no-iat') delete claims['iat'];
    if (m === 'no-exp') delete claims['exp'];
    if (m === 'no-sub') delete claims['sub'];
    if (m === 'no-nonce') delete claims['nonce'];
    if (m === 'nonce-mismatch') claims['nonce'] = 'not-your-nonce';
    if (m === 'skew-small') claims['iat'] = now + 30;
    if (m === 'iat-future') claims['iat'] = now + 120;
    if (m === 'expired-45s-ago') {
      claims['iat'] = now - 345;
      claims['exp'] = now - 45;
    }
    if (m === 'auth-time-old') claims['auth_time'] = now - 3600;
    if (m === 'no-auth-time') delete claims['auth_time'];
    if (m === 'skew-large') {
      claims['iat'] = now - 3900;
      claims['exp'] = now - 3700;
    }
    const key = idp.keys[0]!;
    const header: jose.JWTHeaderParameters = { alg, kid: key.jwk.kid, typ: 'JWT' };
    if (m === 'kid-absent-single' || m === 'multiple-keys-no-kid') delete header.kid;
    if (m === 'kid-unknown') header.kid = 'no-such-kid';
    if (m === 'alg-none')
      return `${b64u(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64u(JSON.stringify(claims))}.`;
    if (m === 'hs256-client-secret') {
      return new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(idp.clientSecret));
    }
    if (m === 'hs256-public-key') {
      const pem = createPublicKey({ key: key.jwk as never, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      }) as string;
      return new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: key.jwk.kid! })
        .sign(new TextEncoder().encode(pem));
    }
    const signWith = m === 'bad-sig' ? (await mk()).privateKey : key.privateKey;
    return new jose.SignJWT(claims).setProtectedHeader(header).sign(signWith);
  }

  async function accessTokenJwt(user: HostileUser, spec: NonNullable<HostileIdp['accessTokenJwt']>): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      ...spec.claims,
      iss: issuer,
      sub: user.sub,
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
    };
    if (spec.tamper === 'sub') claims['sub'] = 'u-mallory';
    if (spec.tamper === 'exp') claims['exp'] = now - 3600;
    if (spec.tamper === 'iss') claims['iss'] = 'https://evil.example';
    const key = idp.keys[0]!;
    if (spec.tamper === 'alg')
      return new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(idp.clientSecret));
    return new jose.SignJWT(claims)
      .setProtectedHeader({ alg, kid: key.jwk.kid, typ: 'at+jwt' })
      .sign(spec.tamper === 'sig' ? (await mk()).privateKey : key.privateKey);
  }

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  /** Waits the endpoint's delay; false when the client went away meanwhile (counted, not answered). */
  const slow = async (res: http.ServerResponse, endpoint: 'token' | 'userinfo' | 'jwks'): Promise<boolean> => {
    const ms = idp.delayMs[endpoint];
    if (ms === 0) return true;
    let closed = false;
    let done = false;
    const finish = () => {
      if (!done) idp.waiting[endpoint]--;
      done = true;
    };
    res.on('close', () => {
      closed = true;
      finish();
    });
    idp.waiting[endpoint]++;
    await new Promise((ok) => setTimeout(ok, ms));
    finish();
    if (closed) idp.abandoned[endpoint]++;
    return !closed;
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    let raw = '';
    req.on('data', (c) => (raw += String(c)));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', issuer);
        const p = url.pathname;
        if (p === '/.well-known/openid-configuration') {
          idp.stats.discovery++;
          if (idp.down) return send(res, 503, { error: 'temporarily_unavailable' });
          return send(res, 200, {
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            userinfo_endpoint: `${issuer}/userinfo`,
            jwks_uri: `${issuer}/jwks`,
            response_types_supported: ['code'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: [alg, 'HS256', 'none'],
            token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
            code_challenge_methods_supported: ['S256'],
            authorization_response_iss_parameter_supported: issParameter,
            ...idp.metadata,
          });
        }
        if (p === '/jwks') {
          idp.stats.jwks++;
          if (!(await slow(res, 'jwks'))) return;
          if (idp.jwksDown) return send(res, 503, { error: 'temporarily_unavailable' });
          const keys = idp.keys.map((k) =>
            idp.mode === 'multiple-keys-no-kid' ? { ...k.jwk, kid: undefined } : k.jwk,
          );
          if (idp.mode === 'multiple-keys-no-kid' && keys.length < 2)
            keys.push({ ...(await mk()).jwk, kid: undefined });
          return send(res, 200, { keys });
        }
        if (p === '/authorize') {
          idp.stats.authorize++;
          const q = Object.fromEntries(url.searchParams);
          idp.lastAuthorize = q;
          idp.lastAuthorizeQuery = new URLSearchParams(url.searchParams);
          if (q['client_id'] !== idp.clientId) return send(res, 400, { error: 'invalid_client' });
          if (!q['redirect_uri'] || !idp.redirectUris.includes(q['redirect_uri']))
            return send(res, 400, { error: 'invalid_request', error_description: 'redirect_uri not registered' });
          const back = new URL(q['redirect_uri']);
          back.searchParams.set(
            'state',
            idp.mode === 'state-mismatch' ? 'forged-state-forged-state-forged-state-1234' : (q['state'] ?? ''),
          );
          if (issParameter && idp.mode !== 'iss-param-missing')
            back.searchParams.set('iss', idp.mode === 'iss-param-mismatch' ? 'https://evil.example' : issuer);
          if (idp.mode === 'error-response') {
            back.searchParams.set('error', 'access_denied');
            back.searchParams.set('error_description', '<script>alert(1)</script> The user said no');
          } else {
            const code = randomBytes(24).toString('base64url');
            const user = q['login_hint'] && idp.users[q['login_hint']] ? q['login_hint'] : idp.user;
            idp.issued.push(code);
            const fresh = idp.sessionAuthTime === undefined || (q['prompt'] ?? '').split(' ').includes('login');
            const authTime = fresh ? undefined : idp.sessionAuthTime;
            codes.set(code, {
              user,
              nonce: q['nonce'],
              challenge: q['code_challenge'],
              redirectUri: q['redirect_uri'],
              authTime,
            });
            back.searchParams.set('code', code);
          }
          res.writeHead(302, { location: back.href });
          return void res.end();
        }
        if (p === '/token' && req.method === 'POST') {
          idp.stats.token++;
          if (!(await slow(res, 'token'))) return;
          const form = new URLSearchParams(raw);
          idp.lastTokenCode = form.get('code') ?? undefined;
          idp.tokenRequests.push({ authorization: req.headers.authorization, body: raw });
          const unknownCode = !codes.has(form.get('code') ?? '');
          // Google's answer to a code not in its format, before it looks at the client.
          if (idp.mode === 'token-code-first' && unknownCode)
            return send(res, 400, { error: 'invalid_grant', error_description: 'Malformed auth code.' });
          // What the client sent to authenticate, as it arrived (the header, the form-encoded parameters).
          const echo = `authorization ${req.headers.authorization ?? 'none'}; ${raw
            .split('&')
            .filter((p) => /^client_(secret|assertion)=/.test(p))
            .join('&')}`;
          const refuseClient = () =>
            idp.mode === 'token-client-500'
              ? send(res, 500, '<html>Internal error</html>', { 'content-type': 'text/html' })
              : send(res, 401, {
                  error: 'invalid_client',
                  ...(idp.mode === 'token-echo-auth' ? { error_description: `client refused: ${echo}` } : {}),
                });
          let id = form.get('client_id');
          let secret = form.get('client_secret');
          idp.lastTokenAuth = secret !== null ? 'post' : undefined;
          const auth = req.headers.authorization;
          if (auth?.startsWith('Basic ')) {
            idp.lastTokenAuth = 'basic';
            const [a = '', b = ''] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
            id = decodeURIComponent(a.replace(/\+/g, ' '));
            secret = decodeURIComponent(b.replace(/\+/g, ' '));
          }
          const assertion = form.get('client_assertion');
          if (assertion !== null && idp.clientPublicKey) {
            idp.lastTokenAuth = 'private_key_jwt';
            idp.lastClientAssertion = assertion;
            try {
              const { payload } = await jose.jwtVerify(assertion, idp.clientPublicKey);
              id = payload.iss ?? null;
              secret = idp.clientSecret;
            } catch {
              return refuseClient();
            }
          }
          if (id !== idp.clientId || secret !== idp.clientSecret) return refuseClient();
          if (idp.mode === 'token-echo-auth' && unknownCode)
            return send(res, 400, { error: 'invalid_grant', error_description: `unknown code: ${echo}` });
          if (idp.mode === 'token-500')
            return send(res, 500, '<html>Internal error</html>', { 'content-type': 'text/html' });
          if (idp.mode === 'token-error')
            return send(res, 400, { error: 'invalid_grant', error_description: 'code expired' });
          if (idp.mode === 'token-challenge')
            return send(
              res,
              401,
              { error: 'invalid_client' },
              { 'www-authenticate': 'Basic realm="idp", error="invalid_client"' },
            );
          if (idp.mode === 'token-challenge-other')
            return send(
              res,
              400,
              { error: 'unauthorized_client' },
              { 'www-authenticate': 'Basic realm="idp", error="unauthorized_client"' },
            );
          if (idp.mode === 'token-echo')
            return send(res, 400, {
              error: 'invalid_grant',
              error_description: `code ${form.get('code')} unknown to client ${id} (${secret})`,
            });
          if (idp.mode === 'token-any-code')
            return send(res, 200, { access_token: randomBytes(24).toString('base64url'), token_type: 'Bearer' });
          if (idp.mode === 'token-bad-json') return send(res, 200, '{"access_token":');
          if (idp.mode === 'token-invalid-client-400') return send(res, 400, { error: 'invalid_client' });
          // Keycloak's answer to a wrong secret.
          if (idp.mode === 'token-401-unauthorized-client')
            return send(res, 401, { error: 'unauthorized_client', error_description: 'Invalid client secret' });
          if (idp.mode === 'token-huge') return send(res, 200, `{"access_token":"${'a'.repeat(2 * 1024 * 1024)}"}`);
          if (idp.mode === 'token-drip') {
            // A 200 whose body never ends: a byte every 100 ms.
            res.writeHead(200, { 'content-type': 'application/json' });
            const timer = setInterval(() => res.write(' '), 100);
            res.on('close', () => clearInterval(timer));
            return;
          }
          const code = form.get('code') ?? '';
          const entry = codes.get(code);
          codes.delete(code);
          if (!entry) return send(res, 400, { error: 'invalid_grant', error_description: 'unknown or used code' });
          if (form.get('redirect_uri') !== entry.redirectUri)
            return send(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
          const verifier = form.get('code_verifier') ?? '';
          if (!entry.challenge || createHash('sha256').update(verifier).digest('base64url') !== entry.challenge) {
            return send(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
          }
          const accessToken = idp.accessTokenJwt
            ? await accessTokenJwt(idp.users[entry.user]!, idp.accessTokenJwt)
            : randomBytes(24).toString('base64url');
          tokens.set(accessToken, entry.user);
          const user = idp.users[entry.user]!;
          const idTok = await idToken(user, entry.nonce, entry.authTime);
          idp.issued.push(accessToken, idTok);
          return send(res, 200, {
            access_token: accessToken,
            token_type: idp.mode === 'token-not-bearer' ? 'mac' : 'Bearer',
            expires_in: 300,
            id_token: idTok,
          });
        }
        if (p === '/userinfo') {
          idp.stats.userinfo++;
          if (!(await slow(res, 'userinfo'))) return;
          const who = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /i, ''));
          if (!who)
            return send(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
          if (idp.mode === 'userinfo-500' || idp.userinfoFault === 'status-500')
            return send(res, 500, { error: 'server_error' });
          if (idp.userinfoFault === 'hang') return;
          if (idp.mode === 'userinfo-503') return send(res, 503, { error: 'temporarily_unavailable' });
          if (idp.mode === 'userinfo-jwt')
            return send(res, 200, 'eyJhbGciOiJub25lIn0.e30.', { 'content-type': 'application/jwt' });
          const u = { ...idp.users[who]! };
          if (idp.mode === 'userinfo-bad-sub' || idp.mode === 'userinfo-other-sub') u.sub = 'u-mallory';
          return send(res, 200, u);
        }
        send(res, 404, { error: 'not_found' });
      })().catch((e: unknown) => send(res, 500, { error: 'server_error', error_description: String(e) }));
    });
  });
  return idp;
}
