/**
 * ID token signature verification against the IdP's JWKS, with node:crypto.
 *
 * openid-client only checks ID token signatures when asked
 * (`enableNonRepudiationChecks`), and its key cache refetches the JWKS for an
 * unknown `kid` only once the cache is a minute old: after an IdP rotates its
 * signing key, every login would fail for up to a minute. This verifier refetches
 * at once on an unknown `kid` (at most once per {@link JWKS_REFETCH_MIN_INTERVAL_MS},
 * one fetch shared by all waiting logins), and imports each key once.
 */
import { createPublicKey, verify, constants, type JsonWebKey, type KeyObject } from 'node:crypto';

/** The shortest time between two JWKS fetches caused by unknown keys. */
export const JWKS_REFETCH_MIN_INTERVAL_MS = 5_000;
/** How long a JWKS is used before it is fetched again on the next login. */
export const JWKS_MAX_AGE_MS = 10 * 60_000;

export type JwksFetcher = () => Promise<unknown>;

interface Jwk {
  kty?: string;
  kid?: string;
  alg?: string;
  use?: string;
  crv?: string;
  key_ops?: string[];
  [k: string]: unknown;
}

/** A coded verification failure. */
export class JwsError extends Error {
  override name = 'JwsError';
  constructor(readonly code: 'JWS_MALFORMED' | 'JWS_ALG' | 'JWS_NO_KEY' | 'JWS_AMBIGUOUS_KEY' | 'JWS_SIGNATURE' | 'JWKS_FETCH', message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const KTY_FOR_ALG: Record<string, string> = { RS: 'RSA', PS: 'RSA', ES: 'EC', Ed: 'OKP' };
const CRV_FOR_ALG: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521', EdDSA: 'Ed25519', Ed25519: 'Ed25519' };

/** Verifies compact JWS signatures with the keys of one JWKS URI. */
export class JwksVerifier {
  readonly #fetchJwks: JwksFetcher;
  readonly #now: () => number;
  #keys: Jwk[] = [];
  #fetchedAt = -Infinity;
  #lastMissRefetchAt = -Infinity;
  #inflight: Promise<void> | undefined;
  readonly #imported = new WeakMap<Jwk, KeyObject>();

  constructor(fetchJwks: JwksFetcher, now: () => number = Date.now) {
    this.#fetchJwks = fetchJwks;
    this.#now = now;
  }

  /** How many keys the last JWKS held. */
  get keyCount(): number {
    return this.#keys.length;
  }

  /** Fetches the key set now (start-up, readiness). */
  async load(): Promise<void> {
    await this.#refresh();
  }

  /**
   * Verifies the signature of `jws` with algorithm `alg` (the pinned one: the
   * header must say exactly this). Returns the decoded header on success.
   */
  async verify(jws: string, alg: string): Promise<Record<string, unknown>> {
    const parts = jws.split('.');
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || parts[2] === '') {
      throw new JwsError('JWS_MALFORMED', 'ID token is not a signed compact JWS');
    }
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new JwsError('JWS_MALFORMED', 'ID token header is not JSON', { cause });
    }
    if (header === null || typeof header !== 'object' || header['alg'] !== alg) {
      throw new JwsError('JWS_ALG', `ID token alg "${String(header?.['alg'])}" is not the expected "${alg}"`);
    }
    if (header['crit'] !== undefined) throw new JwsError('JWS_MALFORMED', 'ID token has unsupported "crit" header');
    const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined;
    if (header['kid'] !== undefined && kid === undefined) throw new JwsError('JWS_MALFORMED', 'ID token "kid" is not a string');

    if (this.#now() - this.#fetchedAt > JWKS_MAX_AGE_MS) {
      try {
        await this.#refresh();
      } catch (e) {
        // Keys the IdP published are still its keys: keep using them while its
        // JWKS endpoint is briefly unavailable.
        if (this.#keys.length === 0) throw e;
      }
    }
    let key = this.#select(alg, kid);
    if (key === undefined && this.#now() - this.#lastMissRefetchAt >= JWKS_REFETCH_MIN_INTERVAL_MS) {
      this.#lastMissRefetchAt = this.#now();
      await this.#refresh();
      key = this.#select(alg, kid);
    }
    if (key === undefined) throw new JwsError('JWS_NO_KEY', `no key in the IdP's JWKS matches kid "${kid ?? '(none)'}" and alg ${alg}`);

    const data = Buffer.from(`${parts[0]}.${parts[1]}`);
    const sig = Buffer.from(parts[2]!, 'base64url');
    const ok = verifySignature(alg, key, data, sig);
    if (!ok) throw new JwsError('JWS_SIGNATURE', 'ID token signature does not verify');
    return header;
  }

  #select(alg: string, kid: string | undefined): KeyObject | undefined {
    const kty = KTY_FOR_ALG[alg.slice(0, 2)];
    const crv = CRV_FOR_ALG[alg];
    const candidates = this.#keys.filter(
      (k) =>
        k.kty === kty &&
        (kid === undefined || k.kid === kid) &&
        (k.alg === undefined || k.alg === alg) &&
        (k.use === undefined || k.use === 'sig') &&
        (k.key_ops === undefined || k.key_ops.includes('verify')) &&
        (crv === undefined || k.crv === crv),
    );
    if (candidates.length === 0) return undefined;
    if (candidates.length > 1) {
      throw new JwsError('JWS_AMBIGUOUS_KEY', 'the ID token has no "kid" and the IdP publishes several keys that could match');
    }
    const jwk = candidates[0]!;
    let key = this.#imported.get(jwk);
    if (key === undefined) {
      try {
        key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
      } catch (cause) {
        throw new JwsError('JWS_NO_KEY', 'the matching IdP key cannot be imported', { cause });
      }
      if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
        throw new JwsError('JWS_NO_KEY', 'the IdP key is an RSA key shorter than 2048 bits');
      }
      this.#imported.set(jwk, key);
    }
    return key;
  }

  #refresh(): Promise<void> {
    this.#inflight ??= (async () => {
      try {
        const body = (await this.#fetchJwks()) as { keys?: unknown };
        if (body === null || typeof body !== 'object' || !Array.isArray(body.keys)) {
          throw new JwsError('JWKS_FETCH', 'the IdP JWKS is not a JSON object with a "keys" array');
        }
        this.#keys = body.keys.filter((k): k is Jwk => k !== null && typeof k === 'object');
        this.#fetchedAt = this.#now();
      } catch (cause) {
        // A failed fetch also counts for the rate limit: a broken JWKS endpoint
        // must not be hammered by every login.
        this.#fetchedAt = Math.max(this.#fetchedAt, this.#now() - JWKS_MAX_AGE_MS + JWKS_REFETCH_MIN_INTERVAL_MS);
        throw cause instanceof JwsError ? cause : new JwsError('JWKS_FETCH', 'the IdP JWKS could not be fetched', { cause });
      } finally {
        this.#inflight = undefined;
      }
    })();
    return this.#inflight;
  }
}

function verifySignature(alg: string, key: KeyObject, data: Buffer, sig: Buffer): boolean {
  switch (alg) {
    case 'RS256': case 'RS384': case 'RS512':
      return verify(`sha${alg.slice(2)}`, data, key, sig);
    case 'PS256': case 'PS384': case 'PS512':
      return verify(`sha${alg.slice(2)}`, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 }, sig);
    case 'ES256': case 'ES384': case 'ES512':
      return verify(`sha${alg.slice(2)}`, data, { key, dsaEncoding: 'ieee-p1363' }, sig);
    case 'EdDSA': case 'Ed25519':
      return verify(null, data, key, sig);
    default:
      throw new JwsError('JWS_ALG', `unsupported alg ${alg}`);
  }
}
