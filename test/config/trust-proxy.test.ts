/**
 * TRUST_PROXY: addresses and CIDRs only; `true`, hop counts and too-wide ranges
 * are configuration errors that say what to write instead, every bad entry named.
 * (What the bridge then does with X-Forwarded-For: test/routes/trust-proxy.test.ts.)
 */
import t from 'tap';
import { parseConfig } from '../../src/config/parse.js';
import { ConfigError } from '../../src/errors.js';
import { TWO_IDP_BASE } from '../helpers/config.js';

const BASE = { ...TWO_IDP_BASE, ALLOW_ANY_AUTHENTICATED: undefined, ALLOWED_GROUPS: 'commbox-agents' };

const trust = (value: string | undefined) => parseConfig({ ...BASE, TRUST_PROXY: value }).trustProxy;

/** Every problem reported for TRUST_PROXY (none: []). */
function trustProblems(value: string): string[] {
  try {
    parseConfig({ ...BASE, TRUST_PROXY: value });
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.problems.filter((p) => p.variable === 'TRUST_PROXY').map((p) => p.problem);
  }
}

t.test('unset, empty or false: no proxy, the socket address is the client', async (t) => {
  t.equal(trust(undefined), false);
  t.equal(trust(''), false);
  t.equal(trust('false'), false);
  t.equal(trust('FALSE'), false);
});

t.test('addresses and CIDRs of both families, and loopback', async (t) => {
  t.same(trust('10.42.0.0/16'), ['10.42.0.0/16']);
  t.same(trust(' 10.42.0.0/16 , 192.168.7.10,2001:db8:42::/48, fd00::7 '), [
    '10.42.0.0/16',
    '192.168.7.10',
    '2001:db8:42::/48',
    'fd00::7',
  ]);
  t.same(
    trust('203.0.113.9/32, 2001:db8::1/128'),
    ['203.0.113.9/32', '2001:db8::1/128'],
    'a full-length prefix is one address',
  );
  t.same(trust('loopback'), ['127.0.0.0/8', '::1'], 'loopback: a proxy on the same host or in the same pod');
  t.same(trust('LOOPBACK, 10.42.0.0/16'), ['127.0.0.0/8', '::1', '10.42.0.0/16']);
});

t.test('true is refused, saying what to write instead', async (t) => {
  for (const value of ['true', 'TRUE', ' True ']) {
    t.same(trustProblems(value), [
      "TRUST_PROXY=true would trust X-Forwarded-For from anyone (any client could choose its address); list the proxy's addresses or CIDRs, e.g. TRUST_PROXY=10.42.0.0/16",
    ]);
  }
});

t.test('a hop count is refused: it cannot tell the proxy from a client that connects directly', async (t) => {
  for (const value of ['1', '2', '10']) {
    const [problem, ...more] = trustProblems(value);
    t.same(more, []);
    t.match(problem, new RegExp(`^"${value}" is a hop count, which is not supported`));
    t.match(problem, /a client that reaches the bridge directly/);
    t.match(problem, /list the proxy's addresses or CIDRs, e\.g\. TRUST_PROXY=10\.42\.0\.0\/16/);
  }
  t.same(trustProblems('0'), [
    '"0" is a hop count, which is not supported; for no proxy write false (or leave it unset)',
  ]);
});

t.test('every bad entry is named, each with its own reason', async (t) => {
  const problems = trustProblems(
    '10.42.0.0/16, banana, 1.2.3, 10.0.0.0/33, 2001:db8::/129, 10.0.0.0/08, 1.2.3.4/, 10.42.1.5/16',
  );
  t.same(problems, [
    `"banana" is not an IP address, a CIDR range or loopback; list the proxy's addresses or CIDRs, e.g. TRUST_PROXY=10.42.0.0/16`,
    `"1.2.3" is not an IP address, a CIDR range or loopback; list the proxy's addresses or CIDRs, e.g. TRUST_PROXY=10.42.0.0/16`,
    '"10.0.0.0/33": an IPv4 prefix length is 1 to 32',
    '"2001:db8::/129": an IPv6 prefix length is 1 to 128',
    '"10.0.0.0/08": the prefix length after / is a number of bits, 1 to 32',
    '"1.2.3.4/": the prefix length after / is a number of bits, 1 to 32',
    '"10.42.1.5/16" has bits set past its /16: write 10.42.0.0/16 for the range, or 10.42.1.5 for the one address',
  ]);
  try {
    parseConfig({ ...BASE, TRUST_PROXY: 'banana', PORT: 'x' });
    t.fail('should throw');
  } catch (e) {
    t.match((e as Error).message, /^Invalid configuration \(2 problems\):\n/, 'with the other variables, in one error');
    t.match((e as Error).message, /\n {2}- TRUST_PROXY: "banana" is not an IP address/);
  }
});

t.test('ranges that trust everyone, or every private or link-local address, are refused', async (t) => {
  t.match(trustProblems('0.0.0.0/0'), [/^"0\.0\.0\.0\/0" trusts every address, as TRUST_PROXY=true would/]);
  t.match(trustProblems('::/0'), [/^"::\/0" trusts every address/]);
  t.match(trustProblems('uniquelocal'), [
    /^"uniquelocal" trusts every private address \(10\.0\.0\.0\/8, 172\.16\.0\.0\/12, 192\.168\.0\.0\/16, fc00::\/7\)/,
  ]);
  t.match(trustProblems('linklocal'), [/^"linklocal" trusts every link-local address/]);
  t.match(trustProblems('::ffff:0:0/96'), [
    /^"::ffff:0:0\/96" is 0\.0\.0\.0\/0 written as IPv6: "0\.0\.0\.0\/0" trusts every address/,
  ]);
  // Halves that together are everything, one at a time.
  t.same(trustProblems('0.0.0.0/1, 128.0.0.0/1, ::/1, 8000::/1').length, 4);
  t.match(trustProblems('10.0.0.0/7'), [/^"10\.0\.0\.0\/7" is wider than \/8/]);
  t.match(trustProblems('2001::/31'), [/^"2001::\/31" is wider than \/32/]);
  t.same(trustProblems('10.0.0.0/8, 2001:db8::/32'), [], 'a /8 and a /32 are the widest accepted');
  t.match(
    trustProblems('constructor'),
    [/^"constructor" is not an IP address/],
    "a name on Object's prototype is not a refused name",
  );
});

t.test('IPv6 details: host bits, IPv4-mapped forms, zone indexes', async (t) => {
  t.same(trustProblems('2001:db8::1/32'), [
    '"2001:db8::1/32" has bits set past its /32: write 2001:db8::/32 for the range, or 2001:db8::1 for the one address',
  ]);
  t.same(trustProblems('a:b:c:d:e:f:1.2.3.4/100'), [
    '"a:b:c:d:e:f:1.2.3.4/100" has bits set past its /100: write a:b:c:d:e:f::/100 for the range, or a:b:c:d:e:f:1.2.3.4 for the one address',
  ]);
  t.same(trustProblems('::ffff:10.0.0.1'), ['"::ffff:10.0.0.1" is 10.0.0.1 written as IPv6: write 10.0.0.1']);
  t.same(trustProblems('::ffff:10.0.0.0/104'), [
    '"::ffff:10.0.0.0/104" is 10.0.0.0/8 written as IPv6: write 10.0.0.0/8',
  ]);
  t.same(trustProblems('::ffff:0:0/80'), [
    '"::ffff:0:0/80" mixes IPv4-mapped and other IPv6 addresses; list the IPv4 and the IPv6 ranges separately',
  ]);
  t.same(trustProblems('fe80::1%eth0'), ['"fe80::1%eth0": write the address without a zone index (%eth0)']);
});

t.test('a list with no entry is refused', async (t) => {
  t.match(trustProblems(' , '), [/^lists no address; /]);
});
