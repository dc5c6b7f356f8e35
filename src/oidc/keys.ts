/**
 * The IdP's signing keys, for the ID token signature: jose's remote JWKS
 * (`createRemoteJWKSet`) with a short cooldown, and `compactVerify` with the one
 * pinned algorithm.
 *
 * openid-client checks the ID token's claims but, for a token from the token
 * endpoint, not its signature unless asked (`enableNonRepudiationChecks`), and its
 * key cache refetches an unknown `kid` only once a minute. After an IdP rotates
 * its signing key, logins must recover within seconds: jose refetches a JWKS that
 * is older than its cooldown, and on top of it a key that is still unknown makes
 * one refetch at once (at most one per {@link JWKS_REFETCH_MIN_INTERVAL_MS}),
 * through jose's own `reload()`.
 */
import * as jose from 'jose';
import type { IdpFetch } from '../net/idp-fetch.js';

/** The shortest time between two JWKS fetches caused by unknown keys; also jose's cooldown. */
export const JWKS_REFETCH_MIN_INTERVAL_MS = 5_000;
/** How long a fetched JWKS is used; after that it must be fetched again (no keys kept forever). */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

/**
 * The JWKS could not be fetched: no answer, not 200, or not JSON. jose reports a
 * non-200 answer with its base error class, as it does a token that fails to
 * verify; this one says it was the fetch, whichever way jose passes it on.
 */
export class JwksFetchError extends Error {
  override name = 'JwksFetchError';
}

export interface IdpKeysOptions {
  /** Total deadline of one JWKS request. */
  readonly timeoutMs: number;
  /** {@link JWKS_MAX_AGE_MS} unless set (tests). */
  readonly maxAgeMs?: number;
}

/** The signing keys at one `jwks_uri`. */
export class IdpKeys {
  readonly #jwks: jose.RemoteJWKSet;
  #fetches = 0;
  #lastMissReload = -Infinity;
  #missReload: Promise<void> | undefined;

  constructor(jwksUri: URL, fetch: IdpFetch, opts: IdpKeysOptions) {
    const counted: jose.FetchImplementation = async (url, options) => {
      this.#fetches++;
      let answer: Response;
      try {
        answer = await fetch(url, options);
      } catch (cause) {
        throw new JwksFetchError(`the JWKS request to ${jwksUri.origin} failed`, { cause });
      }
      if (answer.status !== 200) throw new JwksFetchError(`the JWKS endpoint answered HTTP ${answer.status}`);
      const body = await answer.text();
      try {
        JSON.parse(body);
      } catch (cause) {
        throw new JwksFetchError('the JWKS endpoint answered something that is not JSON', { cause });
      }
      return new Response(body, { status: 200, headers: answer.headers });
    };
    this.#jwks = jose.createRemoteJWKSet(jwksUri, {
      cooldownDuration: JWKS_REFETCH_MIN_INTERVAL_MS,
      cacheMaxAge: opts.maxAgeMs ?? JWKS_MAX_AGE_MS,
      timeoutDuration: opts.timeoutMs,
      [jose.customFetch]: counted,
    });
  }

  /** Fetches the key set now (discovery, readiness). */
  load(): Promise<void> {
    return this.#jwks.reload();
  }

  /** How many keys the last fetched JWKS held. */
  get keyCount(): number {
    return this.#jwks.jwks()?.keys.length ?? 0;
  }

  /**
   * Verifies the compact JWS signature with algorithm `alg` (the header must say
   * exactly this). Throws jose's coded errors.
   */
  async verify(jws: string, alg: string): Promise<void> {
    await this.#withMissReload(() => jose.compactVerify(jws, this.#jwks, { algorithms: [alg] }));
  }

  /**
   * Verifies a JWT (signature with `alg`, `iss`, `exp` required and not passed,
   * `nbf`) and returns its claims. For an access token the IdP issued as a JWT:
   * its audience is the API it is for, so `aud` is not checked here.
   */
  async verifyJwt(
    jwt: string,
    alg: string,
    opts: { issuer: string; clockToleranceSec: number },
  ): Promise<jose.JWTPayload> {
    const { payload } = await this.#withMissReload(() =>
      jose.jwtVerify(jwt, this.#jwks, {
        algorithms: [alg],
        issuer: opts.issuer,
        clockTolerance: opts.clockToleranceSec,
        requiredClaims: ['exp', 'sub'],
      }),
    );
    return payload;
  }

  async #withMissReload<T>(run: () => Promise<T>): Promise<T> {
    const fetchesBefore = this.#fetches;
    try {
      return await run();
    } catch (e) {
      // An unknown key that jose did not refetch for (its cooldown): once now,
      // one fetch shared by every login waiting on it.
      if (!(e instanceof jose.errors.JWKSNoMatchingKey) || this.#fetches !== fetchesBefore) throw e;
      if (this.#missReload === undefined) {
        if (Date.now() - this.#lastMissReload < JWKS_REFETCH_MIN_INTERVAL_MS) throw e;
        this.#lastMissReload = Date.now();
        this.#missReload = this.#jwks.reload().finally(() => {
          this.#missReload = undefined;
        });
      }
      await this.#missReload;
      return await run();
    }
  }
}
