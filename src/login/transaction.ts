/**
 * The login transaction (state, nonce, PKCE verifier) between `/login` and
 * `/callback`, kept in the browser in a sealed cookie: encrypted and
 * authenticated with AES-256-GCM under a key derived once from `COOKIE_SECRET`.
 *
 * Each transaction has its own cookie, named after the start of its `state`, so
 * logins started in two tabs both complete, and a callback whose `state` names
 * no cookie is refused before any request to the IdP.
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

/** How long a login may take between `/login` and `/callback`. */
export const TRANSACTION_TTL_MS = 10 * 60 * 1000;

/** What the bridge must remember between `/login` and `/callback`. */
export interface LoginTransaction {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Where the login goes after sign-in: a path of this bridge (default `/login` = agent). */
  readonly target?: string | undefined;
  /** The IdP it was started with; undefined: `default`. */
  readonly idp?: string | undefined;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const STATE_PREFIX_CHARS = 16;

/**
 * A fresh transaction: state, nonce and PKCE verifier of 256 bits each from the
 * CSPRNG, base64url as openid-client's generators make them (43 characters), in
 * one draw of 96 bytes rather than three.
 */
export function createTransaction(now = Date.now(), target?: string, idp?: string): LoginTransaction {
  const r = randomBytes(96);
  const part = (i: number) => r.subarray(i * 32, i * 32 + 32).toString('base64url');
  return { state: part(0), nonce: part(1), codeVerifier: part(2), createdAt: now, target, idp: idp === 'default' ? undefined : idp };
}

/** The attributes of every login cookie (its name carries `__Host-` when secure). */
export function transactionCookieOptions(secure: boolean) {
  return { httpOnly: true, sameSite: 'lax', secure, path: '/' } as const;
}

/** The cookie that holds the transaction for `state`. */
export function transactionCookieName(state: string, secure: boolean): string {
  return `${secure ? '__Host-' : ''}cbx_tx_${state.slice(0, STATE_PREFIX_CHARS)}`;
}

/** True when the cookie name belongs to a login transaction. */
export function isTransactionCookieName(name: string): boolean {
  return name.startsWith('cbx_tx_') || name.startsWith('__Host-cbx_tx_');
}

/** Why a transaction cookie could not be opened. */
export type OpenFailure = 'invalid' | 'expired' | 'state_mismatch';

/**
 * Seals and opens transaction cookies. Given several secrets (rotation), the
 * first seals and every one opens.
 */
export class TransactionSealer {
  readonly #keys: KeyObject[];

  constructor(cookieSecrets: string | readonly string[]) {
    const secrets = typeof cookieSecrets === 'string' ? [cookieSecrets] : cookieSecrets;
    if (secrets.length === 0) throw new TypeError('at least one cookie secret is needed');
    // KeyObjects, not Buffers: Node checks for a KeyObject first, and on Node 24
    // a Buffer key costs several microseconds more per cipher (twice per login).
    this.#keys = secrets.map((s) => createSecretKey(Buffer.from(hkdfSync('sha256', s, 'commbox-sso-bridge', 'login-transaction v1', 32))));
  }

  /** Seals the transaction; the cookie name is bound in as associated data. */
  seal(tx: LoginTransaction, cookieName: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0]!, iv);
    cipher.setAAD(Buffer.from(cookieName));
    const body = JSON.stringify([tx.state, tx.nonce, tx.codeVerifier, tx.createdAt, tx.target ?? null, tx.idp ?? null]);
    const ct = Buffer.concat([cipher.update(body, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, ct, cipher.getAuthTag()]).toString('base64url');
  }

  /**
   * Opens a sealed value and checks it is live and belongs to `expectedState`.
   * Returns the transaction, or why it cannot be used.
   */
  open(sealed: string, cookieName: string, expectedState: string, now = Date.now()): { ok: true; tx: LoginTransaction } | { ok: false; why: OpenFailure } {
    const tx = this.#unseal(sealed, cookieName);
    if (tx === undefined) return { ok: false, why: 'invalid' };
    if (!(now - tx.createdAt < TRANSACTION_TTL_MS) || tx.createdAt > now + 60_000) return { ok: false, why: 'expired' };
    const a = Buffer.from(tx.state);
    const b = Buffer.from(expectedState);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, why: 'state_mismatch' };
    return { ok: true, tx };
  }

  /** When the sealed transaction was created (epoch ms); undefined when it cannot be opened. */
  createdAt(sealed: string, cookieName: string): number | undefined {
    return this.#unseal(sealed, cookieName)?.createdAt;
  }

  #unseal(sealed: string, cookieName: string): LoginTransaction | undefined {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 1 + IV_BYTES + TAG_BYTES + 2 || raw[0] !== VERSION) return undefined;
    for (const key of this.#keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 1 + IV_BYTES));
        decipher.setAAD(Buffer.from(cookieName));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        const pt = Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
        const [state, nonce, codeVerifier, createdAt, target, idp] = JSON.parse(pt.toString('utf8')) as [
          string,
          string,
          string,
          number,
          string | null,
          string | null | undefined,
        ];
        return { state, nonce, codeVerifier, createdAt, target: target ?? undefined, idp: idp ?? undefined };
      } catch {
        // not this key
      }
    }
    return undefined;
  }
}

/** Live login transactions one browser may hold; `/login` drops the oldest beyond this. */
export const MAX_LIVE_TRANSACTIONS = 5;

/**
 * The transaction cookies to drop so that, with one more, a browser holds at most
 * {@link MAX_LIVE_TRANSACTIONS}: the oldest first, and any that cannot be opened
 * before those. Unfinished logins (closed tabs, abandoned sign-ins) would
 * otherwise pile up until the Cookie header passes the server's limit and every
 * page answers 431.
 */
export function transactionCookiesToDrop(cookies: Readonly<Record<string, string | undefined>>, sealer: TransactionSealer): string[] {
  const live = Object.keys(cookies).filter(isTransactionCookieName);
  if (live.length < MAX_LIVE_TRANSACTIONS) return [];
  const byAge = live.map((name) => ({ name, createdAt: sealer.createdAt(cookies[name] ?? '', name) ?? -Infinity })).sort((a, b) => a.createdAt - b.createdAt);
  return byAge.slice(0, live.length - MAX_LIVE_TRANSACTIONS + 1).map((c) => c.name);
}
