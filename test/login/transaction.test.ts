import t from 'tap';
import {
  createTransaction,
  isTransactionCookieName,
  MAX_LIVE_TRANSACTIONS,
  TRANSACTION_TTL_MS,
  TransactionSealer,
  transactionCookieName,
  transactionCookiesToDrop,
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

t.test('cookie names', async (t) => {
  t.equal(transactionCookieName('abcdefghijklmnopqrstuvwxyz', false), 'cbx_tx_abcdefghijklmnop');
  t.equal(transactionCookieName('abcdefghijklmnopqrstuvwxyz', true), '__Host-cbx_tx_abcdefghijklmnop');
  t.ok(isTransactionCookieName('__Host-cbx_tx_x'));
  t.ok(isTransactionCookieName('cbx_tx_x'));
  t.notOk(isTransactionCookieName('session'));
});

t.test('seal and open', async (t) => {
  const sealer = new TransactionSealer(SECRET);
  const tx = createTransaction(Date.now(), '/login');
  const name = transactionCookieName(tx.state, true);
  const sealed = sealer.seal(tx, name);
  t.match(sealed, /^[A-Za-z0-9_-]+$/, 'cookie-safe');
  t.notOk(sealed.includes(tx.state) || sealed.includes(tx.codeVerifier));
  t.same(sealer.open(sealed, name, tx.state), { ok: true, tx });
  t.not(sealer.seal(tx, name), sealed, 'a fresh IV each time');

  t.same(sealer.open(sealed, name, createTransaction().state), { ok: false, why: 'state_mismatch' });
  t.same(sealer.open(sealed, 'cbx_tx_other', tx.state), { ok: false, why: 'invalid' }, 'bound to its cookie name');
  t.same(new TransactionSealer('t'.repeat(40)).open(sealed, name, tx.state), { ok: false, why: 'invalid' }, 'another secret cannot open it');
  const raw = Buffer.from(sealed, 'base64url');
  raw[20] = raw[20]! ^ 1;
  t.same(sealer.open(raw.toString('base64url'), name, tx.state), { ok: false, why: 'invalid' }, 'tampering is detected');
  t.same(sealer.open('', name, tx.state), { ok: false, why: 'invalid' });
  t.same(sealer.open('!!!', name, tx.state), { ok: false, why: 'invalid' });
  t.same(sealer.open(sealed, name, tx.state, tx.createdAt + TRANSACTION_TTL_MS), { ok: false, why: 'expired' });
  t.same(sealer.open(sealed, name, tx.state, tx.createdAt + TRANSACTION_TTL_MS - 1).ok, true);
  t.same(sealer.open(sealed, name, tx.state, tx.createdAt - 120_000), { ok: false, why: 'expired' }, 'not from the future');
});

t.test('cookie secret rotation: the first seals, all open', async (t) => {
  const old = new TransactionSealer(['o'.repeat(40)]);
  const rotated = new TransactionSealer(['n'.repeat(40), 'o'.repeat(40)]);
  const onlyNew = new TransactionSealer(['n'.repeat(40)]);
  const tx = createTransaction();
  const name = transactionCookieName(tx.state, false);
  const sealedByOld = old.seal(tx, name);
  t.equal(rotated.open(sealedByOld, name, tx.state).ok, true, 'cookies sealed before the rotation still open');
  const sealedByRotated = rotated.seal(tx, name);
  t.equal(onlyNew.open(sealedByRotated, name, tx.state).ok, true, 'new cookies use the new secret');
  t.equal(old.open(sealedByRotated, name, tx.state).ok, false);
  t.throws(() => new TransactionSealer([]));
});

t.test('transactionCookiesToDrop: the oldest beyond the limit, unreadable ones first', async (t) => {
  const sealer = new TransactionSealer('s'.repeat(32));
  const cookies: Record<string, string> = { other: 'x' };
  const names: string[] = [];
  for (let i = 0; i < MAX_LIVE_TRANSACTIONS - 1; i++) {
    const tx = createTransaction(1_000_000 + i * 1000);
    const name = transactionCookieName(tx.state, false);
    cookies[name] = sealer.seal(tx, name);
    names.push(name);
  }
  t.same(transactionCookiesToDrop(cookies, sealer), [], 'under the limit: nothing dropped');
  const junk = 'cbx_tx_junkjunkjunkjunk';
  cookies[junk] = 'not-sealed';
  t.same(transactionCookiesToDrop(cookies, sealer), [junk], 'at the limit: an unreadable one goes first');
  delete cookies[junk];
  const tx = createTransaction(500_000); // the oldest
  const oldest = transactionCookieName(tx.state, false);
  cookies[oldest] = sealer.seal(tx, oldest);
  cookies[junk] = 'not-sealed';
  t.same(transactionCookiesToDrop(cookies, sealer), [junk, oldest], 'two over: the unreadable, then the oldest');
  t.ok(!transactionCookiesToDrop(cookies, sealer).includes('other'), 'other cookies are never touched');
});
