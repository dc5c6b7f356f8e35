/**
 * Customer chat access: /chat/<channel> signs in, then opens the channel with a
 * chat ticket (no username, uniqueId, overrideUserInfo), the channel untouched.
 */
import t from 'tap';
import { signInWithForm, startDemoStack, startHostileStack, startReplica } from '../helpers/stack.js';

const CHANNEL = 'nex9tHPKdBkD_fAfbuUPABg%3d%3d';

t.test('a signed-in employee opens a chat channel with a chat ticket', async (t) => {
  const s = await startDemoStack({
    env: (sb) => ({ COMMBOX_CHAT_URL: sb.chatUrl, COMMBOX_CHAT_CHANNELS: CHANNEL, ALLOWED_GROUPS: 'commbox-agents' }),
  });
  t.teardown(() => s.close());
  const b = s.browser();
  const r = await signInWithForm(b, `${s.base}/chat/${CHANNEL}`, 'alice', s.sandbox.chatUrl);
  t.ok(r.stoppedAt, `lands in the chat (last ${r.last.status} ${r.last.url})`);
  const req = s.sandbox.requests[0]!;
  t.same(req.problems, [], 'the request matches the contract');
  t.same(req.body, {
    data: {
      brand: 'acme',
      uniqueId: 'a1f3c1de-0001-4c3a-9d2e-alice0000001',
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Agent',
      overrideUserInfo: true,
      oneTimeUse: true,
    },
  });
  t.equal(
    r.stoppedAt,
    `${s.sandbox.chatUrl}/${CHANNEL}?ta=${req.ticket}`,
    'the channel exactly as given, never double-encoded',
  );
  const landing = await b.fetch(r.stoppedAt!);
  t.equal(landing.status, 200);
  t.match(landing.body, /chat nex9tHPKdBkD_fAfbuUPABg%3d%3d opened for alice@example\.com/);
  t.match(s.sandbox.arrivals.at(-1), { kind: 'chat', channel: CHANNEL, accepted: true });
  t.match(s.audit.entries[0], { event: 'ticket_issued', channel: CHANNEL, username: undefined });
  const agentTicketAtChat = await signInWithForm(b, `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  const wrong = await b.fetch(agentTicketAtChat.stoppedAt!.replace('/login?', `/chat/${CHANNEL}?`));
  t.equal(wrong.status, 401, 'an agent ticket does not open a chat');
});

t.test('COMMBOX_CHAT_OVERRIDE_USER_INFO=false and MAP_UNIQUE_ID', async (t) => {
  const s = await startHostileStack({
    env: (sb) => ({
      COMMBOX_CHAT_URL: sb.chatUrl,
      COMMBOX_CHAT_CHANNELS: '*',
      COMMBOX_CHAT_OVERRIDE_USER_INFO: 'false',
      MAP_UNIQUE_ID: 'email|lower',
    }),
  });
  t.teardown(() => s.close());
  const r = await s.browser().walk(`${s.base}/chat/abc123`, { stopAt: s.sandbox.chatUrl });
  t.ok(r.stoppedAt);
  t.match(s.sandbox.requests[0]!.body, { data: { uniqueId: 'alice@example.com', overrideUserInfo: false } });
  t.notOk('username' in (s.sandbox.requests[0]!.body as { data: object }).data);
});

t.test('refusals: channel not allowed, malformed channel, chat off; no ticket', async (t) => {
  const s = await startHostileStack({
    env: (sb) => ({ COMMBOX_CHAT_URL: sb.chatUrl, COMMBOX_CHAT_CHANNELS: `${CHANNEL},other` }),
  });
  t.teardown(() => s.close());
  t.ok(
    (await s.browser().walk(`${s.base}/chat/${CHANNEL}`, { stopAt: s.sandbox.chatUrl })).stoppedAt,
    'an allowed channel',
  );
  t.ok(
    (await s.browser().walk(`${s.base}/chat/nex9tHPKdBkD_fAfbuUPABg%3D%3D`, { stopAt: s.sandbox.chatUrl })).stoppedAt,
    'escapes compare case-insensitively',
  );
  const before = s.ticketRequests();
  const notAllowed = await s.browser().fetch(`${s.base}/chat/someone-elses-channel`);
  t.equal(notAllowed.status, 403);
  t.match(notAllowed.body, /\(chat_channel_not_allowed\)/);
  for (const bad of ['a%2Fb', '%zz', 'a%00b']) {
    const r = await s.browser().fetch(`${s.base}/chat/${bad}`);
    t.equal(r.status, 400, `${bad} is refused`);
  }
  t.equal(s.ticketRequests(), before);
  t.equal(s.idp.stats.authorize, 2, 'the IdP saw only the allowed ones');

  const off = await startHostileStack();
  t.teardown(() => off.close());
  t.equal((await off.browser().fetch(`${off.base}/chat/${CHANNEL}`)).status, 404, 'no COMMBOX_CHAT_URL: no chat');
});

t.test(
  'the channel is checked again at the callback: an allow-list changed since /chat refuses, with no ticket',
  async (t) => {
    // A rolling update: /chat/<channel> reaches a replica that still allows the
    // channel (its own check passes), the callback one whose COMMBOX_CHAT_CHANNELS
    // no longer lists it. Both share COOKIE_SECRET and PUBLIC_URL, as behind one address.
    const s = await startHostileStack({
      env: (sb) => ({ COMMBOX_CHAT_URL: sb.chatUrl, COMMBOX_CHAT_CHANNELS: 'other' }),
    });
    t.teardown(() => s.close());
    const old = await startReplica(s, { COMMBOX_CHAT_CHANNELS: `${CHANNEL},other` });
    t.teardown(() => old.close());
    /** Starts the chat login at `old`; the IdP's answer goes to the callback at `at`, with the browser's cookies. */
    const chatVia = async (at: string) => {
      const b = s.browser();
      // PUBLIC_URL's Host, as the load balancer in front of both passes it on.
      const first = await b.fetch(`${old.base}/chat/${CHANNEL}`, { headers: { host: new URL(s.base).host } });
      t.equal(first.status, 302, '/chat at the replica that allows the channel starts the login');
      t.match(first.location, `${s.idp.issuer}/authorize?`);
      const back = await b.fetch(first.location!);
      t.match(back.location, `${s.base}/callback?`);
      const callback = new URL(back.location!);
      const to = new URL(`${callback.pathname}${callback.search}`, at).href;
      const fromHost = new URL(old.base).host;
      for (const name of b.jar.names(fromHost)) b.jar.set(new URL(to).host, name, b.jar.get(fromHost, name)!);
      return b.fetch(to);
    };

    const control = await chatVia(old.base);
    t.equal(control.status, 302, 'control: at a replica that still allows it, the chat opens');
    t.match(control.location, `${s.sandbox.chatUrl}/${CHANNEL}?ta=`);
    t.equal(s.ticketRequests(), 1);

    const tokens = s.idp.stats.token;
    const refused = await chatVia(s.base);
    t.equal(refused.status, 403);
    t.match(refused.body, /\(chat_channel_not_allowed\)/);
    t.match(
      s.logs.find((e) => e['reason'] === 'chat_channel_not_allowed'),
      { detail: /is not in COMMBOX_CHAT_CHANNELS/ },
      'refused at the callback',
    );
    t.equal(s.idp.stats.token, tokens + 1, 'after the sign-in was verified');
    t.equal(s.ticketRequests(), 1, 'no ticket for the refused channel');
    t.notOk(
      old.logs.find((e) => e['reason'] === 'chat_channel_not_allowed'),
      'the replica that started it refused nothing',
    );
  },
);

t.test('a launcher tile may target a chat route of this bridge', async (t) => {
  const s = await startHostileStack({
    env: (sb) => ({ COMMBOX_CHAT_URL: sb.chatUrl, COMMBOX_CHAT_CHANNELS: CHANNEL }),
  });
  t.teardown(() => s.close());
  const q = new URLSearchParams({ iss: s.idp.issuer, target_link_uri: `${s.base}/chat/${CHANNEL}` });
  const r = await s.browser().walk(`${s.base}/initiate?${q}`, { stopAt: s.sandbox.chatUrl });
  t.equal(r.stoppedAt, `${s.sandbox.chatUrl}/${CHANNEL}?ta=${s.sandbox.requests[0]!.ticket}`);
  const bad = new URLSearchParams({ iss: s.idp.issuer, target_link_uri: `${s.base}/chat/a%2Fb` });
  t.equal((await s.browser().fetch(`${s.base}/initiate?${bad}`)).status, 400);
});

t.test('refusal rules apply to chat as to agents', async (t) => {
  const s = await startHostileStack({
    env: (sb) => ({ COMMBOX_CHAT_URL: sb.chatUrl, COMMBOX_CHAT_CHANNELS: CHANNEL }),
  });
  t.teardown(() => s.close());
  s.idp.user = 'carol';
  const r = await s.browser().walk(`${s.base}/chat/${CHANNEL}`, { stopAt: s.sandbox.chatUrl });
  t.equal(r.last.status, 403);
  t.match(r.last.body, /\(email_unverified\)/);
  s.idp.user = 'alice';
  s.idp.mode = 'bad-sig';
  t.equal((await s.browser().walk(`${s.base}/chat/${CHANNEL}`, { stopAt: s.sandbox.chatUrl })).last.status, 502);
  t.equal(s.ticketRequests(), 0);
});
