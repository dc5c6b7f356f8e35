import t from 'tap';
import {
  chooseTransactionCookieName,
  createTransaction,
  isTransactionCookieName,
  legacyTransactionCookieName,
  loginStartTime,
  MAX_LIVE_TRANSACTIONS,
  TRANSACTION_TTL_MS,
  TransactionSealer,
  transactionCookieNames,
  transactionCookieOptions,
  transactionCookiesStartedBefore,
} from '../../src/login/transaction.js';

const SECRET = 's'.repeat(40);

t.test('createTransaction: fresh 256-bit values', async (t) => {
  const a = createTransaction(1000);
  const b = createTransaction(1000);
  t.equal(a.state.length, 43);
  t.equal(a.nonce.length, 43);
  t.equal(a.codeVerifier.length, 43);
  t.match(a.codeVerifier, /^[A-Za-z0-9_-]+$/);
  t.not(a.state, b.state);
  t.not(a.state, a.nonce);
  t.not(a.codeVerifier, b.codeVerifier);
  const many = new Set(Array.from({ length: 200 }, () => createTransaction().state));
  t.equal(many.size, 200, 'no value is handed out twice');
  t.equal(a.createdAt, 1000);
});

t.test('cookie names: five slots, and the legacy name taken from the state', async (t) => {
  t.same(transactionCookieNames(false), ['cbx_tx_0', 'cbx_tx_1', 'cbx_tx_2', 'cbx_tx_3', 'cbx_tx_4']);
  t.same(transactionCookieNames(true), [
    '__Host-cbx_tx_0',
    '__Host-cbx_tx_1',
    '__Host-cbx_tx_2',
    '__Host-cbx_tx_3',
    '__Host-cbx_tx_4',
  ]);
  t.equal(transactionCookieNames(true).length, MAX_LIVE_TRANSACTIONS);
  t.equal(legacyTransactionCookieName('abcdefghijklmnopqrstuvwxyz', false), 'cbx_tx_abcdefghijklmnop');
  t.equal(legacyTransactionCookieName('abcdefghijklmnopqrstuvwxyz', true), '__Host-cbx_tx_abcdefghijklmnop');
  for (const name of transactionCookieNames(true)) t.ok(isTransactionCookieName(name));
  t.ok(isTransactionCookieName('__Host-cbx_tx_x'));
  t.ok(isTransactionCookieName('cbx_tx_x'));
  t.notOk(isTransactionCookieName('session'));
});

t.test('seal and open', async (t) => {
  const sealer = new TransactionSealer(SECRET);
  const tx = createTransaction(Date.now(), '/login');
  const name = '__Host-cbx_tx_0';
  const sealed = sealer.seal(tx, name);
  t.match(sealed, /^[A-Za-z0-9_-]+$/, 'cookie-safe');
  t.notOk(sealed.includes(tx.state) || sealed.includes(tx.codeVerifier));
  t.same(sealer.open(sealed, name, tx.state), { ok: true, tx });
  t.not(sealer.seal(tx, name), sealed, 'a fresh IV each time');

  t.same(sealer.open(sealed, name, createTransaction().state), { ok: false, why: 'state_mismatch' });
  t.same(sealer.open(sealed, 'cbx_tx_other', tx.state), { ok: false, why: 'invalid' }, 'bound to its cookie name');
  t.same(
    new TransactionSealer('t'.repeat(40)).open(sealed, name, tx.state),
    { ok: false, why: 'invalid' },
    'another secret cannot open it',
  );
  const raw = Buffer.from(sealed, 'base64url');
  raw[20] = raw[20]! ^ 1;
  t.same(
    sealer.open(raw.toString('base64url'), name, tx.state),
    { ok: false, why: 'invalid' },
    'tampering is detected',
  );
  t.same(sealer.open('', name, tx.state), { ok: false, why: 'invalid' });
  t.same(sealer.open('!!!', name, tx.state), { ok: false, why: 'invalid' });
  t.same(sealer.open(sealed, name, tx.state, tx.createdAt + TRANSACTION_TTL_MS), { ok: false, why: 'expired' });
  t.same(
    sealer.open(sealed, name, createTransaction().state, tx.createdAt + TRANSACTION_TTL_MS),
    { ok: false, why: 'state_mismatch' },
    "another login's expired cookie is not this state's",
  );
  t.same(sealer.open(sealed, name, tx.state, tx.createdAt + TRANSACTION_TTL_MS - 1).ok, true);
  t.same(
    sealer.open(sealed, name, tx.state, tx.createdAt - 120_000),
    { ok: false, why: 'expired' },
    'not from the future',
  );
});

t.test('cookie secret rotation: the first seals, all open', async (t) => {
  const old = new TransactionSealer(['o'.repeat(40)]);
  const rotated = new TransactionSealer(['n'.repeat(40), 'o'.repeat(40)]);
  const onlyNew = new TransactionSealer(['n'.repeat(40)]);
  const tx = createTransaction();
  const name = 'cbx_tx_3';
  const sealedByOld = old.seal(tx, name);
  t.equal(rotated.open(sealedByOld, name, tx.state).ok, true, 'cookies sealed before the rotation still open');
  const sealedByRotated = rotated.seal(tx, name);
  t.equal(onlyNew.open(sealedByRotated, name, tx.state).ok, true, 'new cookies use the new secret');
  t.equal(old.open(sealedByRotated, name, tx.state).ok, false);
  t.throws(() => new TransactionSealer([]));
});

t.test(
  'chooseTransactionCookieName: a free slot (the one the state points at), else the oldest login, unreadable ones first',
  async (t) => {
    const sealer = new TransactionSealer('s'.repeat(32));
    const names = transactionCookieNames(false);
    const picked = new Set(
      Array.from({ length: 200 }, () => chooseTransactionCookieName({}, createTransaction().state, false, sealer)),
    );
    t.same(
      [...picked].sort(),
      [...names],
      'with no login cookie, every slot is picked by some state: requests sent together rarely collide',
    );
    const state = createTransaction().state;
    t.equal(
      chooseTransactionCookieName({}, state, false, sealer),
      chooseTransactionCookieName({}, state, false, sealer),
      'the same state, the same slot',
    );

    const cookies: Record<string, string> = { other: 'x' };
    for (let i = 0; i < MAX_LIVE_TRANSACTIONS - 1; i++) {
      const tx = createTransaction(1_000_000 + i * 1000);
      cookies[names[i]!] = sealer.seal(tx, names[i]!);
    }
    t.equal(chooseTransactionCookieName(cookies, state, false, sealer), names[4], 'the only free slot');
    const newest = createTransaction(2_000_000);
    cookies[names[4]!] = sealer.seal(newest, names[4]!);
    t.equal(chooseTransactionCookieName(cookies, state, false, sealer), names[0], 'all taken: the oldest login');
    cookies[names[2]!] = 'not-sealed';
    t.equal(
      chooseTransactionCookieName(cookies, state, false, sealer),
      names[2],
      'a cookie that cannot be opened goes first',
    );
    cookies['cbx_tx_legacylegacyleg'] = sealer.seal(createTransaction(1), 'cbx_tx_legacylegacyleg');
    t.equal(
      chooseTransactionCookieName(cookies, state, false, sealer),
      names[2],
      'a login cookie of the old naming takes no slot',
    );
    t.equal(
      chooseTransactionCookieName({ cbx_tx_0: cookies[names[0]!]! }, state, true, sealer).startsWith('__Host-cbx_tx_'),
      true,
      'secure names',
    );
  },
);

t.test('loginStartTime: logins started in the same millisecond still have an order', async (t) => {
  const now = Date.now() + 3_600_000;
  const a = loginStartTime(now);
  const b = loginStartTime(now);
  t.equal(a, now);
  t.ok(b > a, 'the second is later');
  t.ok(loginStartTime(now - 5) > b, 'never earlier than the last');
});

t.test(
  'transactionCookiesStartedBefore: the older logins, not the newer, nor the completed one, nor other cookies',
  async (t) => {
    const sealer = new TransactionSealer(SECRET);
    const [n0, n1, n2, n3] = transactionCookieNames(false);
    const legacyTx = createTransaction(500);
    const legacy = legacyTransactionCookieName(legacyTx.state, false);
    const cookies = {
      [n0!]: sealer.seal(createTransaction(1000), n0!),
      [n1!]: sealer.seal(createTransaction(2000), n1!), // the completed one
      [n2!]: sealer.seal(createTransaction(3000), n2!),
      [n3!]: 'not-a-sealed-value',
      [legacy]: sealer.seal(legacyTx, legacy),
      other: 'x',
    };
    t.same(transactionCookiesStartedBefore(cookies, 2000, n1, sealer).sort(), [n0, legacy].sort());
    t.same(
      transactionCookiesStartedBefore(cookies, 1000, n0, sealer),
      [legacy],
      'the oldest completed: only the legacy one is older',
    );
    t.same(transactionCookiesStartedBefore({ [n2!]: cookies[n2!] }, 2000, n1, sealer), [], 'a newer login is kept');
  },
);

t.test('a login may take 10 minutes', async (t) => {
  t.equal(TRANSACTION_TTL_MS, 600_000);
  const sealer = new TransactionSealer(SECRET);
  const tx = createTransaction(1_700_000_000_000);
  const sealed = sealer.seal(tx, 'cbx_tx_0');
  t.equal(sealer.open(sealed, 'cbx_tx_0', tx.state, tx.createdAt + 9 * 60_000).ok, true, 'after 9 minutes');
});

t.test('the IdP a login started with comes back from its cookie; the default IdP is stored as none', async (t) => {
  t.equal(createTransaction(1, '/login', 'default').idp, undefined);
  t.equal(createTransaction(1, '/login', 'acquired').idp, 'acquired');
  t.equal(createTransaction(1, '/login').idp, undefined);
  const sealer = new TransactionSealer(SECRET);
  const tx = createTransaction(Date.now(), '/chat', 'acquired');
  const opened = sealer.open(sealer.seal(tx, 'cbx_tx_1'), 'cbx_tx_1', tx.state);
  t.same(opened, { ok: true, tx });
  t.equal(opened.ok && opened.tx.idp, 'acquired');
});

t.test(
  'a login cookie sealed by another replica with the same secret opens (the key derivation is fixed)',
  async (t) => {
    // Sealed once, with this version's key derivation, from 's' × 40 as the secret.
    const sealed =
      'ATOuSpy_05h830OfQiejSkxK0Hq_3kZoC8XB9ed4P7KgdddBCcf_-Fxz2ScanFh5mB-W7b-QdL4CqQDUJ8lzlxMqd9MiVIQzL5CW8vU0BJpVw46jL-AsXrBVIRRJz_pxKYRrHxTeIiz6ajQwXWUqjuKlLkw-UWSF0NVHKNSZsSeTzNkjus-DhjqeMeRD3DSW5AEFzY4JH3Qsu4WoZgOhtEtVntUHzy97y3idLIBDwAQabHi7bLF66x1aZBN37bQiGwh7zkHf9A57';
    const state = 'S'.repeat(43);
    t.same(new TransactionSealer(SECRET).open(sealed, 'cbx_tx_2', state, 1_700_000_001_000), {
      ok: true,
      tx: {
        state,
        nonce: 'N'.repeat(43),
        codeVerifier: 'V'.repeat(43),
        createdAt: 1_700_000_000_000,
        target: '/chat',
        idp: 'acquired',
      },
    });
  },
);

t.test('a cookie of another format version is refused, even with a valid tag', async (t) => {
  const sealer = new TransactionSealer(SECRET);
  const tx = createTransaction();
  const raw = Buffer.from(sealer.seal(tx, 'cbx_tx_0'), 'base64url');
  raw[0] = 2; // the version byte is not authenticated: only this check refuses it
  t.same(sealer.open(raw.toString('base64url'), 'cbx_tx_0', tx.state), { ok: false, why: 'invalid' });
});

t.test('a state of another length is a mismatch, not an error', async (t) => {
  const sealer = new TransactionSealer(SECRET);
  const tx = createTransaction();
  const sealed = sealer.seal(tx, 'cbx_tx_0');
  t.same(sealer.open(sealed, 'cbx_tx_0', 'short'), { ok: false, why: 'state_mismatch' });
  t.same(sealer.open(sealed, 'cbx_tx_0', `${tx.state}x`), { ok: false, why: 'state_mismatch' });
});

t.test('a login dated up to a minute ahead of this clock (another replica) opens; more is refused', async (t) => {
  const sealer = new TransactionSealer(SECRET);
  const now = 1_700_000_000_000;
  const at = (createdAt: number) => {
    const tx = createTransaction(createdAt);
    return sealer.open(sealer.seal(tx, 'cbx_tx_0'), 'cbx_tx_0', tx.state, now);
  };
  t.equal(at(now + 60_000).ok, true, 'a minute ahead');
  t.same(at(now + 60_001), { ok: false, why: 'expired' });
});

t.test('no cookie secret: the sealer says so', async (t) => {
  t.throws(() => new TransactionSealer([]), new TypeError('at least one cookie secret is needed'));
});

t.test('login cookies are httpOnly, SameSite=Lax, for the whole site; secure when asked', async (t) => {
  t.same(transactionCookieOptions(true), { httpOnly: true, sameSite: 'lax', secure: true, path: '/' });
  t.same(transactionCookieOptions(false), { httpOnly: true, sameSite: 'lax', secure: false, path: '/' });
});

t.test(
  'transactionCookiesStartedBefore: never the completed login, whatever its date; an empty cookie; a login of the same millisecond',
  async (t) => {
    const sealer = new TransactionSealer(SECRET);
    const [n0, n1] = transactionCookieNames(false);
    const cookies = { [n0!]: sealer.seal(createTransaction(1000), n0!) };
    // The completed login's own cookie, with the date check alone unable to keep it (dated before).
    t.same(transactionCookiesStartedBefore(cookies, 2000, n0, sealer), [], 'the completed one is not cleared');
    t.same(transactionCookiesStartedBefore({ ...cookies, [n1!]: undefined }, 2000, undefined, sealer), [n0]);
    t.same(transactionCookiesStartedBefore(cookies, 1000, undefined, sealer), [], 'started in the same millisecond');
  },
);

t.test(
  'a rotation: the new secret seals, the previous one opens the logins in flight for their lifetime only',
  async (t) => {
    const before = 's'.repeat(40);
    const after = 'Qm7tV2xK9pL4wR8zN1cF6hJ3sD0gB5yE2uA7iO4kT9w=';
    const sealer = new TransactionSealer([before]);
    const rotatedAt = Date.now();
    const inFlight = createTransaction(rotatedAt - 1000);
    const sealedBefore = sealer.seal(inFlight, 'tx');
    sealer.rotate([after], rotatedAt);
    t.ok(sealer.open(sealedBefore, 'tx', inFlight.state, rotatedAt + 1000).ok, 'a login started before completes');
    const fresh = createTransaction(rotatedAt);
    const sealedAfter = sealer.seal(fresh, 'tx');
    t.ok(new TransactionSealer([after]).open(sealedAfter, 'tx', fresh.state, rotatedAt).ok, 'sealed with the new one');
    t.notOk(new TransactionSealer([before]).open(sealedAfter, 'tx', fresh.state, rotatedAt).ok, 'not with the old');
    // A cookie forged with the old secret after its retirement, with a fresh time: refused once the
    // logins in flight at the rotation can no longer be live.
    const late = rotatedAt + TRANSACTION_TTL_MS + 1;
    const forged = createTransaction(late);
    const sealedOld = new TransactionSealer([before]).seal(forged, 'tx');
    t.ok(sealer.open(sealedOld, 'tx', forged.state, late - 2).ok, 'still opened within the lifetime');
    t.same(sealer.open(sealedOld, 'tx', forged.state, late), { ok: false, why: 'invalid' }, 'refused after it');
    t.throws(() => sealer.rotate([]), TypeError);
  },
);
