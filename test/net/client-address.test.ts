/**
 * The client of a request: its bare address whatever the proxy wrote (a source
 * port after it), and the key its limits count under (an IPv6 /64).
 */
import t from 'tap';
import { clientAddress, clientKey, trustedPeer } from '../../src/net/client-address.js';

const req = (ip: string, remoteAddress = '10.9.8.7') => ({ ip, socket: { remoteAddress } });

t.test('clientAddress: the address without a port; anything else is the socket (the proxy)', async (t) => {
  t.equal(clientAddress(req('203.0.113.9')), '203.0.113.9');
  t.equal(clientAddress(req('203.0.113.9:51234')), '203.0.113.9', 'IPv4:port (Azure Application Gateway)');
  t.equal(clientAddress(req('2001:db8::1')), '2001:db8::1');
  t.equal(clientAddress(req('[2001:db8::1]:51234')), '2001:db8::1', '[IPv6]:port');
  t.equal(clientAddress(req('[2001:db8::1]')), '2001:db8::1', '[IPv6]');
  t.equal(clientAddress(req('::ffff:203.0.113.9')), '::ffff:203.0.113.9');
  for (const junk of [
    'unknown',
    '',
    'evil.example',
    '999.1.1.1:80',
    '203.0.113.9:port',
    '[not-v6]:80',
    '203.0.113.9:80:80',
    '_hidden',
  ]) {
    t.equal(clientAddress(req(junk)), '10.9.8.7', `${JSON.stringify(junk)}: the socket's address`);
  }
});

t.test('clientKey: an IPv4 address, an IPv6 /64', async (t) => {
  t.equal(clientKey('203.0.113.9'), '203.0.113.9');
  t.equal(clientKey('::ffff:203.0.113.9'), '203.0.113.9', 'IPv4-mapped');
  t.equal(clientKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  t.equal(clientKey('2001:0db8:0001:0002::9'), '2001:db8:1:2::/64', 'leading zeros');
  t.equal(clientKey('2001:DB8:1:2::9'), '2001:db8:1:2::/64', 'letter case');
  t.equal(clientKey('2001:db8:1:2:ffff::1'), clientKey('2001:db8:1:2::2'), 'one prefix is one client');
  t.equal(clientKey('2001:db8::1'), '2001:db8::/64');
  t.equal(clientKey('::1'), '::/64');
  t.not(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'));
});

t.test("trustedPeer: the socket's address against TRUST_PROXY, never X-Forwarded-For", async (t) => {
  const peer = (remoteAddress: string | undefined) => ({ socket: { remoteAddress } });
  t.notOk(trustedPeer(false)(peer('127.0.0.1')), 'no TRUST_PROXY: no peer is trusted');
  const trusted = trustedPeer(['10.42.0.0/16', '::1']);
  t.ok(trusted(peer('10.42.3.4')), 'inside a listed range');
  t.ok(trusted(peer('::ffff:10.42.3.4')), 'IPv4-mapped, as a dual-stack socket reports it');
  t.ok(trusted(peer('::1')));
  t.notOk(trusted(peer('10.43.0.1')), 'outside every range');
  t.notOk(trusted(peer(undefined)), 'a socket already gone');
  t.notOk(trusted({ ip: '10.42.3.4', socket: { remoteAddress: '203.0.113.9' } } as never), 'req.ip is not the peer');
});
