/**
 * The login transaction (state, nonce, PKCE verifier) between `/login` and
 * `/callback`, kept in the browser in a sealed cookie: encrypted and
 * authenticated with AES-256-GCM under a key derived once from `COOKIE_SECRET`.
 *
 * Each transaction has its own cookie, named after the start of its `state`, so
 * logins started in two tabs both complete, and a callback whose `state` names
 * no cookie is refused before any request to the IdP.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

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
 * Random bytes from a pool refilled 4 KiB at a time: one call into the CSPRNG
 * per ~40 logins instead of three per login. Each byte is handed out once.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;
export function random(bytes: number): Buffer {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, bytes));
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return out;
}

/** A fresh transaction with 256-bit random state, nonce and PKCE verifier. */
export function createTransaction(now = Date.now(), target?: string, idp?: string): LoginTransaction {
  // 99 bytes: 132 base64url characters, 43 + 43 + 46 (PKCE wants 43 to 128).
  const r = random(99).toString('base64url');
  return { state: r.slice(0, 43), nonce: r.slice(43, 86), codeVerifier: r.slice(86), createdAt: now, target, idp: idp === 'default' ? undefined : idp };
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
  readonly #keys: Buffer[];

  constructor(cookieSecrets: string | readonly string[]) {
    const secrets = typeof cookieSecrets === 'string' ? [cookieSecrets] : cookieSecrets;
    if (secrets.length === 0) throw new TypeError('at least one cookie secret is needed');
    this.#keys = secrets.map((s) => Buffer.from(hkdfSync('sha256', s, 'commbox-sso-bridge', 'login-transaction v1', 32)));
  }

  /** Seals the transaction; the cookie name is bound in as associated data. */
  seal(tx: LoginTransaction, cookieName: string): string {
    const iv = random(IV_BYTES);
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
        const [state, nonce, codeVerifier, createdAt, target, idp] = JSON.parse(pt.toString('utf8')) as [string, string, string, number, string | null, string | null | undefined];
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
  const byAge = live
    .map((name) => ({ name, createdAt: sealer.createdAt(cookies[name] ?? '', name) ?? -Infinity }))
    .sort((a, b) => a.createdAt - b.createdAt);
  return byAge.slice(0, live.length - MAX_LIVE_TRANSACTIONS + 1).map((c) => c.name);
}

/**
 * Remembers consumed transactions until they expire, so a replayed callback
 * (same cookie, same state) is refused even if the browser kept the cookie.
 *
 * Fixed memory, allocated once (about 22 bytes per entry, 2.2 MB for the
 * default 100,000): a ring of 52-bit fingerprints of the states in the order
 * they were used, and an open-addressing index over it. When the ring is full
 * the oldest entry makes room. A fingerprint may collide only with a state of
 * another login; with 100,000 remembered that is about 1 in 4.5 * 10^10 logins
 * (a wrongly refused login, never a wrongly accepted one), and states are the
 * bridge's own random values, opened from sealed cookies, so nobody can aim.
 */
export class ConsumedTransactions {
  readonly #capacity: number;
  /** The ring: fingerprints and expiry times (epoch ms) in the order consumed. */
  readonly #fingerprints: Float64Array;
  readonly #expiries: Float64Array;
  /** Linear-probing index: ring position + 1; 0 is an empty slot. */
  readonly #slots: Int32Array;
  readonly #mask: number;
  #next = 0;
  #count = 0;

  constructor(max = 100_000) {
    if (!(max >= 1 && Number.isInteger(max))) throw new RangeError('max must be a positive integer');
    this.#capacity = max;
    this.#fingerprints = new Float64Array(max);
    this.#expiries = new Float64Array(max);
    // At most half full: short probe sequences.
    const tableSize = 2 ** Math.ceil(Math.log2(2 * max + 1));
    this.#slots = new Int32Array(tableSize);
    this.#mask = tableSize - 1;
  }

  /** Marks the state consumed; false when it already was. */
  consume(state: string, createdAt: number, now = Date.now()): boolean {
    this.prune(now);
    const fp = fingerprint(state);
    if (this.#find(fp) !== -1) return false;
    if (this.#count === this.#capacity) this.#dropOldest();
    const pos = this.#next;
    this.#fingerprints[pos] = fp;
    this.#expiries[pos] = createdAt + TRANSACTION_TTL_MS;
    let slot = home(fp, this.#mask);
    while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
    this.#slots[slot] = pos + 1;
    this.#next = (pos + 1) % this.#capacity;
    this.#count++;
    return true;
  }

  /** True when the state was consumed and its transaction has not expired yet. */
  has(state: string, now = Date.now()): boolean {
    this.prune(now);
    return this.#find(fingerprint(state)) !== -1;
  }

  /** Drops the entries whose transaction has expired anyway (oldest first). */
  prune(now = Date.now()): void {
    while (this.#count > 0 && this.#expiries[this.#oldest()]! <= now) this.#dropOldest();
  }

  get size(): number {
    return this.#count;
  }

  #oldest(): number {
    return (this.#next - this.#count + this.#capacity) % this.#capacity;
  }

  /** The ring position of `fp`, or -1. */
  #find(fp: number): number {
    const slots = this.#slots;
    for (let slot = home(fp, this.#mask); slots[slot] !== 0; slot = (slot + 1) & this.#mask) {
      const pos = slots[slot]! - 1;
      if (this.#fingerprints[pos] === fp) return pos;
    }
    return -1;
  }

  /** Removes the oldest entry from the index (backward-shift deletion) and the ring. */
  #dropOldest(): void {
    const pos = this.#oldest();
    const slots = this.#slots;
    const mask = this.#mask;
    let hole = home(this.#fingerprints[pos]!, mask);
    while (slots[hole] !== pos + 1) hole = (hole + 1) & mask;
    slots[hole] = 0;
    // Move back every later entry of the probe run that may no longer be reachable.
    for (let j = (hole + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const h = home(this.#fingerprints[slots[j]! - 1]!, mask);
      const reachable = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (!reachable) {
        slots[hole] = slots[j]!;
        slots[j] = 0;
        hole = j;
      }
    }
    this.#count--;
  }
}

/** A 52-bit fingerprint of a string (two 32-bit multiplicative hashes). */
function fingerprint(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0) * 0x100000 + ((h2 >>> 0) & 0xfffff);
}

/** The index slot where a fingerprint's probe sequence starts. */
function home(fp: number, mask: number): number {
  return Math.floor(fp / 0x100000) & mask;
}
