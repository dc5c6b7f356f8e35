/**
 * A person the IdP signed in and an access rule refused sees which account they
 * used ("You signed in as alice@example.com."): the usual cause of these
 * refusals is the wrong account, a personal one or another company's. Through
 * the real flow (the oidc-provider IdP's form, or the scriptable IdP for values
 * no real IdP would send), in English and Hebrew, as a page and as JSON; the
 * log line stays as it was, and no ticket is requested.
 */
import t, { type Test } from 'tap';
import { Browser, type Hop } from '../helpers/browser.js';
import { signInWithForm, startDemoStack, startHostileStack, type Stack } from '../helpers/stack.js';

const HE = { 'accept-language': 'he-IL,he;q=0.9' };
const JSON_ANSWER = { accept: 'application/json' };

/** The line naming the account, as the page writes it in English and in Hebrew. */
const line = (email: string) => `<p>You signed in as <bdi dir="ltr">${email}</bdi>.</p>`;
const lineHe = (email: string) => `<p>התחברת בתור <bdi dir="ltr">${email}</bdi>.</p>`;

/** `user` signs in through the demo IdP's form; the callback's answer with `headers` (a page, or JSON). */
async function refusedAt(t: Test, s: Stack<unknown>, user: string, headers: Record<string, string> = {}): Promise<Hop> {
  // The language on every hop, as a browser sends it; JSON asked of the callback only.
  const { accept: _accept, ...language } = headers;
  const b = new Browser({ headers: language });
  const upTo = await signInWithForm(b, `${s.base}/login`, user, `${s.base}/callback`);
  t.ok(upTo.stoppedAt, `${user} reached the callback`);
  return b.fetch(upTo.stoppedAt!, { headers });
}

/**
 * The refusal's log line (by its reference): the fields it had before, and none
 * of the page's words or the address.
 */
function logLineOf(t: Test, s: Stack<unknown>, reference: string, reason: string, email: string) {
  const entry = s.logs.find((e) => e['reqId'] === reference);
  t.match(entry, { msg: 'login refused', reason, status: 403, sub: String }, `${reason}: the refusal's log line`);
  t.same(
    Object.keys(entry ?? {})
      .filter((k) => !['level', 'time', 'pid', 'hostname', 'name', 'reqId', 'msg'].includes(k))
      .sort(),
    ['detail', 'event', 'idp', 'reason', 'req', 'status', 'sub'],
    'the fields a refusal logged before (no user detail among them)',
  );
  const text = JSON.stringify(entry);
  t.notOk(text.includes(email), `${reason}: the address is not in the log line`);
  t.notMatch(text, /signed in as|התחברת|signed_in_as/, `${reason}: nor the sentence`);
}

const reference = (body: string) => /<code>([0-9a-f]{16})<\/code>/.exec(body)?.[1] ?? '';

t.test('group_not_allowed and email_unverified: the page names the account, in English and Hebrew', async (t) => {
  const s = await startDemoStack({ env: { ALLOW_ANY_AUTHENTICATED: 'false', ALLOWED_GROUPS: 'commbox-agents' } });
  t.teardown(() => s.close());
  for (const [user, reason] of [
    ['bob', 'group_not_allowed'],
    ['carol', 'email_unverified'],
  ] as const) {
    const email = `${user}@example.com`;
    const en = await refusedAt(t, s, user);
    t.equal(en.status, 403);
    t.match(en.body, new RegExp(`\\(${reason}\\)`));
    t.ok(en.body.includes(line(email)), `${reason}: "You signed in as ${email}."`);
    // Between what happened and what to do: the reason's words, the account, the action.
    t.match(en.body, /<\/p>\n<p>You signed in as [^\n]*<\/p>\n<p>Ask your IT service desk/);
    logLineOf(t, s, reference(en.body), reason, email);

    const he = await refusedAt(t, s, user, HE);
    t.match(he.body, /<html lang="he" dir="rtl">/);
    t.ok(he.body.includes(lineHe(email)), `${reason}: the Hebrew sentence, the address isolated left to right`);
    logLineOf(t, s, reference(he.body), reason, email);
  }
  // A login that passes shows no refusal, and the account line is only on refusals.
  const alice = await signInWithForm(s.browser(), `${s.base}/login`, 'alice', s.sandbox.loginUrl);
  t.ok(alice.stoppedAt, 'alice still gets in');
  t.equal(s.ticketRequests(), 1, "no ticket was requested for a refusal (alice's only)");
});

t.test('email_domain_not_allowed: the page and the JSON answer name the account', async (t) => {
  const s = await startDemoStack({ env: { ALLOW_ANY_AUTHENTICATED: 'false', ALLOWED_EMAIL_DOMAINS: 'corp.example' } });
  t.teardown(() => s.close());
  const en = await refusedAt(t, s, 'alice');
  t.equal(en.status, 403);
  t.match(en.body, /\(email_domain_not_allowed\)/);
  t.ok(en.body.includes(line('alice@example.com')));
  logLineOf(t, s, reference(en.body), 'email_domain_not_allowed', 'alice@example.com');
  const he = await refusedAt(t, s, 'alice', HE);
  t.ok(he.body.includes(lineHe('alice@example.com')));

  const json = await refusedAt(t, s, 'alice', JSON_ANSWER);
  t.equal(json.status, 403);
  t.match(json.headers['content-type'], /^application\/json/);
  t.match(JSON.parse(json.body), {
    error: 'email_domain_not_allowed',
    detail: 'You signed in as alice@example.com.',
    reference: /^[0-9a-f]{16}$/,
  });
  const jsonHe = await refusedAt(t, s, 'alice', { ...JSON_ANSWER, ...HE });
  t.equal(
    (JSON.parse(jsonHe.body) as Record<string, string>)['detail'],
    'התחברת בתור \u2068alice@example.com\u2069.',
    'in Hebrew, the address between Unicode isolates',
  );
  const ref = (JSON.parse(json.body) as Record<string, string>)['reference']!;
  logLineOf(t, s, ref, 'email_domain_not_allowed', 'alice@example.com');
  t.equal(s.ticketRequests(), 0, 'no ticket was requested');
});

t.test('hosted_domain_not_allowed: a personal Google-style account is named', async (t) => {
  const s = await startHostileStack({ env: { ALLOWED_HOSTED_DOMAINS: 'example.com' } });
  t.teardown(() => s.close());
  s.idp.users['alice'] = { ...s.idp.users['alice']!, email: 'alice.private@gmail.example' };
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 403);
  t.match(r.last.body, /\(hosted_domain_not_allowed\)/);
  t.ok(r.last.body.includes(line('alice.private@gmail.example')));
  logLineOf(t, s, reference(r.last.body), 'hosted_domain_not_allowed', 'alice.private@gmail.example');
  const he = await new Browser({ headers: HE }).walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.ok(he.last.body.includes(lineHe('alice.private@gmail.example')));
  t.equal(s.ticketRequests(), 0, 'no ticket was requested');
});

t.test('a hostile address: escaped, bounded, its direction controls never shown, isolated', async (t) => {
  const s = await startHostileStack({ env: { ALLOW_ANY_AUTHENTICATED: 'false', ALLOWED_GROUPS: 'commbox-agents' } });
  t.teardown(() => s.close());
  const refuse = async (email: string, headers: Record<string, string> = {}) => {
    s.idp.users['bob'] = { ...s.idp.users['bob']!, email };
    s.idp.user = 'bob';
    const r = await new Browser({ headers }).walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 403);
    t.match(r.last.body, /group_not_allowed/);
    return r.last.body;
  };

  const script = await refuse('<script>alert(1)</script>@example.com');
  t.notMatch(script, /<script>/, 'never markup');
  t.ok(script.includes(line('&lt;script&gt;alert(1)&lt;/script&gt;@example.com')), 'escaped, in its line');

  const huge = await refuse(`${'x'.repeat(10_000)}@example.com`);
  t.ok(huge.includes(line(`${'x'.repeat(253)}\u2026`)), 'a 10 KB address: its first 253 characters and …');
  t.notMatch(huge, /x{254}/);
  t.ok(huge.length < 6_000, `the page stays small (${huge.length} characters)`);

  // U+202E (right-to-left override) would show "alice@example.com" for this value, and turn the rest of the
  // sentence around in text that nothing isolates (a left-to-right language's JSON).
  const spoof = '\u202emoc.elpmaxe@live';
  for (const headers of [{}, HE]) {
    const page = await refuse(spoof, headers);
    t.notOk(page.includes('\u202e'), 'no override character on the page');
    t.match(page, /<bdi dir="ltr">\ufffdmoc\.elpmaxe@live<\/bdi>/, 'shown as U+FFFD, inside the isolating element');
  }
  s.idp.users['bob'] = { ...s.idp.users['bob']!, email: `a\u2066b\u202bc@example.com` };
  const b = new Browser({ headers: JSON_ANSWER });
  const upTo = await b.walk(`${s.base}/login`, { stopAt: `${s.base}/callback` });
  const json = JSON.parse((await b.fetch(upTo.stoppedAt!, { headers: JSON_ANSWER })).body) as Record<string, string>;
  t.equal(json['detail'], 'You signed in as a\ufffdb\ufffdc@example.com.', 'nor in JSON');

  // Not an address: no line at all, and never another claim in its place.
  const none = await refuse('bob.example.com');
  t.notMatch(none, /You signed in as/);
  t.notMatch(none, /bob/i, 'no other claim (the username, the name) instead');

  t.notMatch(s.logs.text, /x{254}|alert\(1\)|\u202e|signed in as/, 'none of it in any log line');
  t.equal(s.ticketRequests(), 0, 'no ticket was requested');
});
