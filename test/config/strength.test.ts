/**
 * A cookie secret a person typed is refused; generated ones never are (src/config/strength.ts).
 */
import t from 'tap';
import { estimatedBits, runShare, secretWeakness } from '../../src/config/strength.js';
import { TWO_IDP_BASE, unruledProblems } from '../helpers/config.js';

const problems = unruledProblems;

t.test('a cookie secret that a person typed is refused; generated ones never are', async (t) => {
  t.equal(
    secretWeakness('Password123!Password123!Passw0rd'),
    'repeats itself',
    'a near repetition does not compress like random text',
  );
  t.equal(secretWeakness('qwertyuiopasdfghjklzxcvbnm123456'), 'is mostly runs along the keyboard or the alphabet');
  for (const weak of [
    'a'.repeat(32),
    'passwordpasswordpasswordpassword',
    'abababababababababababababababab',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaabcd',
    'Password123!Password123!Passw0rd',
    'qwertyuiopasdfghjklzxcvbnm123456',
  ]) {
    t.match(
      problems({ ALLOWED_GROUPS: 'agents', COOKIE_SECRET: weak }),
      { COOKIE_SECRET: /; generate one with: openssl rand -base64 32$/ },
      weak,
    );
  }
  t.match(problems({ ALLOWED_GROUPS: 'agents', COOKIE_SECRET: `${TWO_IDP_BASE.COOKIE_SECRET},${'b'.repeat(40)}` }), {
    COOKIE_SECRET: /^secret #2 repeats one short string/,
  });
  t.notMatch(
    JSON.stringify(problems({ ALLOWED_GROUPS: 'agents', COOKIE_SECRET: 'a'.repeat(32) })),
    /aaaaaaaa/,
    'the secret is not echoed',
  );
  // What `openssl rand -hex 16` and `-base64 32` write: many draws, none refused.
  const { randomBytes } = await import('node:crypto');
  let refused = 0;
  for (let i = 0; i < 3000; i++)
    if (secretWeakness(randomBytes(16).toString('hex')) ?? secretWeakness(randomBytes(32).toString('base64')))
      refused++;
  t.equal(refused, 0);
});

t.test('secret strength: each rule on its own, at its bounds', async (t) => {
  t.equal(estimatedBits(''), 0);
  t.equal(estimatedBits('aaaa'), 0);
  t.equal(estimatedBits('aabb'), 4, 'two characters, half each: one bit per character');
  t.equal(estimatedBits('abcd'), 8);
  t.equal(runShare(''), 0);
  for (const run of ['abcd', 'dcba', '1234', 'zxcv', 'qwer', 'lkjh']) t.equal(runShare(run), 1, `${run}: a run`);
  t.equal(runShare('abc!'), 0, 'three neighbours are no run');
  t.equal(runShare('!!abcd'), 4 / 6, 'a run at the very end counts');
  t.equal(
    secretWeakness('k3J9xQ2mP7vL0wRtk3J9xQ2mP7vL0wRt'),
    'repeats one short string',
    'a random-looking half, written twice',
  );
  t.equal(secretWeakness('eebgacebcfgagbafegcefadebed'), 'has only 7 different characters');
  t.equal(secretWeakness('ehbgachbcfgagbafegcefadhbhd'), undefined, 'eight different characters are enough');
  t.equal(
    secretWeakness('asdfghjklqwertyuioX7#p%Q'),
    'is mostly runs along the keyboard or the alphabet',
    'three quarters in runs',
  );
  t.equal(
    secretWeakness('K2v9#pQ7!xLm4@Zt'),
    'has too little variety (about 64 bits by its character frequencies; 80 at least)',
  );
});
