/**
 * The login transaction (state, nonce, PKCE verifier) between `/login` and
 * `/callback`, kept in the browser in a sealed cookie: encrypted and
 * authenticated with AES-256-GCM under a key derived once from `COOKIE_SECRET`.
 *
 * Each transaction has its own cookie, one of a fixed set of names (slots), so
 * logins started in two tabs both complete, a browser never holds more than
 * {@link MAX_LIVE_TRANSACTIONS} of them however many `/login` requests it sends
 * at once, and a callback whose `state` opens none of them is refused before
 * any request to the IdP.
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

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
/** How much of the state the legacy cookie name carries (`cbx_tx_` + the start of the state). */
const LEGACY_STATE_PREFIX_CHARS = 16;

/**
 * A cookie secret's AES key. KeyObjects, not Buffers: Node checks for a KeyObject first, and a
 * Buffer key costs more per cipher (twice per login).
 */
const keyOf = (secret: string): KeyObject =>
  createSecretKey(Buffer.from(hkdfSync('sha256', secret, 'commbox-sso-bridge', 'login-transaction v1', 32)));

/** Live login transactions one browser may hold: the number of cookie names (slots). */
export const MAX_LIVE_TRANSACTIONS = 5;

/**
 * A fresh transaction: state, nonce and PKCE verifier of 256 bits each from the
 * CSPRNG, base64url as openid-client's generators make them (43 characters), in
 * one draw of 96 bytes rather than three.
 */
export function createTransaction(now = Date.now(), target?: string, idp?: string): LoginTransaction {
  const r = randomBytes(96);
  const part = (i: number) => r.subarray(i * 32, i * 32 + 32).toString('base64url');
  return {
    state: part(0),
    nonce: part(1),
    codeVerifier: part(2),
    createdAt: now,
    target,
    idp: idp === 'default' ? undefined : idp,
  };
}

let lastStart = 0;
/**
 * The start time of a new login (epoch ms), later than every login this process
 * started before: two `/login` requests of one browser in the same millisecond
 * still have an order, which the clearing of older logins relies on.
 */
export function loginStartTime(now = Date.now()): number {
  lastStart = Math.max(now, lastStart + 1);
  return lastStart;
}

/** The attributes of every login cookie (its name carries `__Host-` when secure). */
export function transactionCookieOptions(secure: boolean) {
  return { httpOnly: true, sameSite: 'lax', secure, path: '/' } as const;
}

const SLOTS = { plain: slotNames(false), secure: slotNames(true) };
function slotNames(secure: boolean): readonly string[] {
  return Array.from({ length: MAX_LIVE_TRANSACTIONS }, (_, i) => `${secure ? '__Host-' : ''}cbx_tx_${i}`);
}

/** The names a login cookie can have: `cbx_tx_0` to `cbx_tx_4` (`__Host-` prefixed when secure). */
export function transactionCookieNames(secure: boolean): readonly string[] {
  return secure ? SLOTS.secure : SLOTS.plain;
}

/**
 * The legacy name of a login cookie (`cbx_tx_` + the first 16 characters of its
 * state), which a release without slots gives it. Accepted at the callback, so
 * that a login started on such a release during a rolling upgrade completes
 * within the 10 minutes its cookie lives; needed only while such a release, or
 * its cookies, may still be around.
 */
export function legacyTransactionCookieName(state: string, secure: boolean): string {
  return `${secure ? '__Host-' : ''}cbx_tx_${state.slice(0, LEGACY_STATE_PREFIX_CHARS)}`;
}

/** True when the cookie name belongs to a login transaction. */
export function isTransactionCookieName(name: string): boolean {
  return name.startsWith('cbx_tx_') || name.startsWith('__Host-cbx_tx_');
}

/**
 * How this bridge's login cookies are sealed and named: the sealer, and whether
 * they are Secure (`__Host-` prefixed, when `PUBLIC_URL` is https).
 */
export interface TransactionCookies {
  readonly sealer: TransactionSealer;
  readonly secure: boolean;
}

/** Why a transaction cookie could not be opened. */
export type OpenFailure = 'invalid' | 'expired' | 'state_mismatch';

/**
 * Seals and opens transaction cookies. Given several secrets (rotation), the
 * first seals and every one opens.
 */
export class TransactionSealer {
  #keys: KeyObject[];
  /** The keys of secrets a rotation removed, each opening cookies until its time (epoch ms). */
  #retired: { key: KeyObject; secret: string; until: number }[] = [];
  #secrets: readonly string[];

  constructor(cookieSecrets: string | readonly string[]) {
    const secrets = typeof cookieSecrets === 'string' ? [cookieSecrets] : cookieSecrets;
    if (secrets.length === 0) throw new TypeError('at least one cookie secret is needed');
    this.#secrets = secrets;
    this.#keys = secrets.map(keyOf);
  }

  /**
   * A rotated `COOKIE_SECRET`: its first secret seals from now on, all of them open; a secret it no
   * longer lists still opens the cookies of the logins in flight for {@link TRANSACTION_TTL_MS}
   * (no later login cookie is live), then nothing.
   */
  rotate(cookieSecrets: readonly string[], now = Date.now()): void {
    if (cookieSecrets.length === 0) throw new TypeError('at least one cookie secret is needed');
    const until = now + TRANSACTION_TTL_MS;
    this.#retired = [
      ...this.#retired.filter((r) => r.until > now && !cookieSecrets.includes(r.secret)),
      ...this.#secrets
        .filter((s) => !cookieSecrets.includes(s))
        .map((secret) => ({ key: keyOf(secret), secret, until })),
    ];
    this.#secrets = cookieSecrets;
    this.#keys = cookieSecrets.map(keyOf);
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
  open(
    sealed: string,
    cookieName: string,
    expectedState: string,
    now = Date.now(),
  ): { ok: true; tx: LoginTransaction } | { ok: false; why: OpenFailure } {
    const tx = this.#unseal(sealed, cookieName, now);
    if (tx === undefined) return { ok: false, why: 'invalid' };
    // The state first: 'expired' then says that this state's own login expired.
    const a = Buffer.from(tx.state);
    const b = Buffer.from(expectedState);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, why: 'state_mismatch' };
    if (!(now - tx.createdAt < TRANSACTION_TTL_MS) || tx.createdAt > now + 60_000) return { ok: false, why: 'expired' };
    return { ok: true, tx };
  }

  /** When the sealed transaction was created (epoch ms); undefined when it cannot be opened. */
  createdAt(sealed: string, cookieName: string): number | undefined {
    return this.#unseal(sealed, cookieName)?.createdAt;
  }

  #unseal(sealed: string, cookieName: string, now = Date.now()): LoginTransaction | undefined {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 1 + IV_BYTES + TAG_BYTES + 2 || raw[0] !== VERSION) return undefined;
    const keys =
      this.#retired.length === 0
        ? this.#keys
        : [...this.#keys, ...this.#retired.filter((r) => r.until > now).map((r) => r.key)];
    for (const key of keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 1 + IV_BYTES));
        decipher.setAAD(Buffer.from(cookieName));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        const pt = Buffer.concat([
          decipher.update(raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES)),
          decipher.final(),
        ]);
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

/**
 * The cookie name for a new transaction: a slot the browser does not use (of
 * the free ones, the one the new state points at, so that `/login` requests
 * sent together rarely pick the same), else the slot of its oldest login (one
 * that cannot be opened first). However many `/login` requests a browser sends
 * at once, it can only ever hold {@link MAX_LIVE_TRANSACTIONS} login cookies,
 * so unfinished logins never grow the Cookie header past the server's limit
 * (every page would answer 431).
 */
export function chooseTransactionCookieName(
  cookies: Readonly<Record<string, string | undefined>>,
  state: string,
  secure: boolean,
  sealer: TransactionSealer,
): string {
  const names = transactionCookieNames(secure);
  const free = names.filter((n) => cookies[n] === undefined);
  if (free.length > 0) return free[Buffer.from(state.slice(0, 4), 'base64url').readUInt16BE(0) % free.length]!;
  let oldest = names[0]!;
  let oldestAt = Infinity;
  for (const name of names) {
    const createdAt = sealer.createdAt(cookies[name]!, name) ?? -Infinity;
    if (createdAt < oldestAt) {
      oldest = name;
      oldestAt = createdAt;
    }
  }
  return oldest;
}

/**
 * The login cookies of this browser started before `createdAt`, other than
 * `except` (the completed login's own): the ones a completed login clears.
 * After someone signed in at a shared desk, a login started earlier in another
 * tab could otherwise still be completed without `prompt=login` from their IdP
 * session (its `auth_time` is later than that login's start). Logins started
 * after the completed one are kept: a second tab's login still completes. A
 * cookie that cannot be opened is left alone (it can complete nothing).
 */
export function transactionCookiesStartedBefore(
  cookies: Readonly<Record<string, string | undefined>>,
  createdAt: number,
  except: string | undefined,
  sealer: TransactionSealer,
): string[] {
  return Object.keys(cookies).filter((name) => {
    const sealed = cookies[name];
    if (name === except || sealed === undefined || !isTransactionCookieName(name)) return false;
    const started = sealer.createdAt(sealed, name);
    return started !== undefined && started < createdAt;
  });
}
