import t from 'tap';
import { ConsumedTransactions } from '../../src/login/replay.js';
import { TRANSACTION_TTL_MS } from '../../src/login/transaction.js';

t.test('ConsumedTransactions', async (t) => {
  const c = new ConsumedTransactions(3);
  t.ok(c.consume('a', 0, 0));
  t.notOk(c.consume('a', 0, 0), 'a second use is refused');
  t.ok(c.consume('b', 1, 1));
  t.ok(c.consume('c', 2, 2));
  t.ok(c.consume('d', 3, 3), 'full: the oldest makes room');
  t.equal(c.size, 3);
  t.ok(c.consume('a', 4, 4), 'the evicted one is forgotten');
  t.notOk(c.consume('c', 4, 4), 'the others are remembered');
  c.prune(TRANSACTION_TTL_MS + 3);
  t.equal(c.size, 1, 'expired entries are pruned');
  t.notOk(c.consume('a', 4, TRANSACTION_TTL_MS + 3), 'the live one is still remembered');
  t.throws(() => new ConsumedTransactions(0), RangeError);
});

t.test('ConsumedTransactions.has: a consumed state is known until it expires', async (t) => {
  const c = new ConsumedTransactions(10);
  const now = 1_000_000;
  t.equal(c.has('s1', now), false);
  t.ok(c.consume('s1', now, now));
  t.equal(c.has('s1', now + 1000), true);
  t.equal(c.has('s2', now + 1000), false);
  t.equal(c.has('s1', now + TRANSACTION_TTL_MS), false, 'forgotten once expired');
});
