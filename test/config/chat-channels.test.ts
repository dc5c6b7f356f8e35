/** Chat channel IDs as CommBox shows them (percent-encoded), decoded for comparison. */
import t from 'tap';
import { decodeChannel } from '../../src/config/chat-channels.js';

t.test('a channel ID as CommBox shows it is decoded', async (t) => {
  t.equal(decodeChannel('nex9tHPKdBkD_fAfbuUPABg%3d%3d'), 'nex9tHPKdBkD_fAfbuUPABg==');
  t.equal(decodeChannel('nex9tHPKdBkD_fAfbuUPABg%3D%3D'), 'nex9tHPKdBkD_fAfbuUPABg==', 'either case of hex');
  t.equal(decodeChannel('plain-id.1~x'), 'plain-id.1~x');
  t.equal(decodeChannel('a'.repeat(256)), 'a'.repeat(256));
});

t.test('anything else is not a channel ID', async (t) => {
  for (const raw of [
    '',
    'a'.repeat(257),
    'has space',
    'a=b',
    'a%3',
    '%zz',
    '%C3%28',
    'a%2Fb',
    'a%5Cb',
    'a%3Fb',
    'a%23b',
    'a%00b',
    'a%0Ab',
  ])
    t.equal(decodeChannel(raw), undefined, JSON.stringify(raw));
});
