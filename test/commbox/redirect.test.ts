import t from 'tap';
import { appendTicket, encodeTicket } from '../../src/commbox/redirect.js';

t.test('encodeTicket leaves the ticket as received, encoding only what is not URL-safe', async (t) => {
  t.equal(encodeTicket('hZ8uTCLgf1HnOwVy_bIEW-VJ0.~'), 'hZ8uTCLgf1HnOwVy_bIEW-VJ0.~');
  t.equal(encodeTicket('nex9tHPKdBkD_fAfbuUPABg%3d%3d'), 'nex9tHPKdBkD_fAfbuUPABg%3d%3d', 'existing %xx stay');
  t.equal(encodeTicket('a+b/c=='), 'a%2Bb%2Fc%3D%3D');
  t.equal(encodeTicket('50%off&x=1#frag'), '50%25off%26x%3D1%23frag', 'a bare % is encoded');
  t.equal(encodeTicket('%zz%4'), '%25zz%254');
});

t.test('appendTicket keeps the URL as it is', async (t) => {
  t.equal(appendTicket('https://acme.commbox.io/login', 'T%3d'), 'https://acme.commbox.io/login?ta=T%3d');
  t.equal(appendTicket('https://acme.commbox.io/login?lang=en', 'T'), 'https://acme.commbox.io/login?lang=en&ta=T');
  t.equal(appendTicket('https://acme.commbox.io/login?', 'T'), 'https://acme.commbox.io/login?ta=T');
  t.equal(appendTicket('https://acme.commbox.io/login?a=%2F&', 'T'), 'https://acme.commbox.io/login?a=%2F&ta=T');
  t.equal(appendTicket('https://acme.commbox.io/#/login', 'T'), 'https://acme.commbox.io/?ta=T#/login');
});
