/**
 * DRY_RUN shows refusals too: a login refused after its claims were read ends
 * on the usual refusal page, with the rule that refused, what it saw and the
 * claim names with their sources below it; the log line stays as it is (no
 * claim values), and without DRY_RUN the page has none of it. Through the real
 * flow: the demo IdP's login form, the bridge, the CommBox sandbox.
 */
import t, { type Test } from 'tap';
import { Browser } from '../helpers/browser.js';
import { signInWithForm, startDemoStack, startHostileStack, type Stack } from '../helpers/stack.js';
import type { DemoIdp } from '../../dev/idp.js';

const RULES = { ALLOW_ANY_AUTHENTICATED: 'false', ALLOWED_GROUPS: 'commbox-agents' };

/** Signs `user` in at the demo stack `s`, as a browser (HTML) or, for the callback, as an API client (JSON). */
async function refusedPages(s: Stack<DemoIdp>, user: string) {
  const page = await signInWithForm(s.browser(), `${s.base}/login`, user, s.sandbox.loginUrl);
  const b = s.browser();
  const upTo = await signInWithForm(b, `${s.base}/login`, user, `${s.base}/callback`);
  const json = await b.fetch(upTo.stoppedAt!, { headers: { accept: 'application/json' } });
  return { page: page.last, json: JSON.parse(json.body) as Record<string, unknown>, jsonStatus: json.status };
}

/** The refusal's log line: what it logs today, and nothing of the claims' values. */
function refusalLine(t: Test, s: Stack<DemoIdp>, reason: string, values: readonly string[]) {
  const line = s.logs.find((e) => e['reason'] === reason);
  t.ok(line, `the refusal is logged (${reason})`);
  t.notOk(line && 'dryRun' in line, 'the log line carries no DRY_RUN view');
  for (const v of values) t.notOk(s.logs.text.includes(v), `no log line has the claim value ${v}`);
}

t.test(
  'DRY_RUN: bob, outside the allowed group, sees ALLOWED_GROUPS, his groups and where they came from',
  async (t) => {
    const s = await startDemoStack({ env: { ...RULES, DRY_RUN: 'true' } });
    t.teardown(() => s.close());
    const { page, json, jsonStatus } = await refusedPages(s, 'bob');
    t.equal(page.status, 403);
    t.match(page.body, /\(group_not_allowed\)/, 'the usual refusal');
    t.match(page.body, /<h2>Dry run: the rule that refused<\/h2>/);
    t.match(page.body, /<code>ALLOWED_GROUPS<\/code> refused the sign-in with IdP <code>default<\/code>/);
    t.match(page.body, /<li>groups: &quot;finance&quot;, from userinfo; allowed: commbox-agents<\/li>/);
    t.match(page.body, /Read from: id token, userinfo\./);
    t.match(page.body, /<code>groups \(userinfo\)<\/code>/);
    t.match(page.body, /<code>sub \(id token\)<\/code>/);
    t.match(page.body, /<p class="ref">Reference: <code>[0-9a-f]{16}<\/code> \(group_not_allowed\)<\/p>/);

    t.equal(jsonStatus, 403);
    t.match(json, {
      error: 'group_not_allowed',
      dryRun: {
        idp: 'default',
        rule: 'ALLOWED_GROUPS',
        reason: 'group_not_allowed',
        saw: ['groups: "finance", from userinfo; allowed: commbox-agents'],
        sources: ['id token', 'userinfo'],
        claimNames: Array,
      },
    });
    t.ok((json['dryRun'] as { claimNames: string[] }).claimNames.includes('groups (userinfo)'));
    refusalLine(t, s, 'group_not_allowed', ['finance', 'bob@example.com']);
    t.equal(s.ticketRequests(), 0, 'no ticket was requested');
  },
);

t.test('DRY_RUN: carol, whose email is unverified, sees email_verified: false and its source', async (t) => {
  const s = await startDemoStack({ env: { ...RULES, DRY_RUN: 'true' } });
  t.teardown(() => s.close());
  const { page, json } = await refusedPages(s, 'carol');
  t.equal(page.status, 403);
  t.match(page.body, /\(email_unverified\)/);
  t.match(page.body, /<code>email_verified<\/code> refused the sign-in/);
  t.match(page.body, /<li>email_verified: false, from userinfo<\/li>/);
  t.match(json, {
    error: 'email_unverified',
    dryRun: { rule: 'email_verified', saw: ['email_verified: false, from userinfo'] },
  });
  refusalLine(t, s, 'email_unverified', ['carol@example.com']);
  t.equal(s.ticketRequests(), 0);
});

t.test('DRY_RUN: a mapping to a claim the IdP does not send shows what each mapping gave', async (t) => {
  const s = await startDemoStack({ env: { ...RULES, DRY_RUN: 'true', MAP_USERNAME: 'employee_id' } });
  t.teardown(() => s.close());
  const { page, json } = await refusedPages(s, 'alice');
  t.equal(page.status, 403);
  t.match(page.body, /\(claim_missing\)/);
  t.match(page.body, /<code>MAP_USERNAME<\/code> refused/);
  t.match(
    page.body,
    /<li>MAP_USERNAME=employee_id: maps to nothing \(claim employee_id: none, absent from id token and userinfo\)<\/li>/,
  );
  t.match(
    page.body,
    /<li>MAP_EMAIL=email: &quot;alice@example.com&quot; \(claim email: &quot;alice@example.com&quot;, from userinfo\)<\/li>/,
  );
  t.match(
    page.body,
    /<code>preferred_username \(userinfo\)<\/code>/,
    'the claim names say what could be mapped instead',
  );
  t.match(json, { error: 'claim_missing', dryRun: { rule: 'MAP_USERNAME' } });
  refusalLine(t, s, 'claim_missing', ['alice@example.com']);
  t.equal(s.ticketRequests(), 0);
});

t.test('without DRY_RUN the same refusals show none of it, on the page or in JSON', async (t) => {
  const s = await startDemoStack({ env: { ...RULES, MAP_FIRST_NAME: 'given_name' } });
  t.teardown(() => s.close());
  for (const user of ['bob', 'carol']) {
    const { page, json } = await refusedPages(s, user);
    t.equal(page.status, 403, user);
    t.notMatch(
      page.body,
      /Dry run|What it saw|Claims received|ALLOWED_GROUPS|email_verified:/,
      `${user}: no DRY_RUN part`,
    );
    // The account used, on its own line of every wrong-account refusal; no other claim value.
    const account = `<p>You signed in as <bdi dir="ltr">${user}@example.com</bdi>.</p>`;
    t.ok(page.body.includes(account), `${user}: the account used`);
    t.notMatch(page.body.replace(account, ''), /finance|example\.com/, `${user}: no other claim value on the page`);
    t.notOk('dryRun' in json, `${user}: no DRY_RUN part in JSON`);
  }
  t.equal(s.ticketRequests(), 0);
});

t.test('DRY_RUN: claim values are escaped and bounded in length and count', async (t) => {
  const s = await startHostileStack({ env: { ...RULES, DRY_RUN: 'true' } });
  t.teardown(() => s.close());
  const groups = [`<script>alert(1)</script>`, 'x'.repeat(5000), ...Array.from({ length: 100 }, (_, i) => `g${i}`)];
  s.idp.users['alice']!['groups'] = groups;
  for (let i = 0; i < 150; i++) s.idp.users['alice']![`claim_${String(i).padStart(3, '0')}_${'n'.repeat(200)}`] = i;
  const r = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
  t.equal(r.last.status, 403);
  t.notMatch(r.last.body, /<script>/, 'the template escaped the value');
  t.match(r.last.body, /&quot;&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;/);
  t.match(r.last.body, /x{99}… \(5002 characters\)/, 'a long value is cut and says how long it was');
  t.notMatch(r.last.body, /x{101}/);
  t.match(
    r.last.body,
    /, and 82 more \(102 in all\), from id token; allowed: commbox-agents/,
    'a long list is cut to 20 and counted',
  );
  t.notMatch(r.last.body, /n{101}/, 'claim names are cut too');
  t.match(r.last.body, /<code>and \d+ more<\/code>/, 'at most 100 claim names are listed');
  t.ok(r.last.body.length < 40_000, `the page stays small (${r.last.body.length} characters)`);
  t.equal(s.ticketRequests(), 0);
});

/** Unicode's direction controls: marks, embeddings, overrides and isolates. */
const DIRECTION_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

t.test(
  "DRY_RUN: a claim's direction controls are shown escaped (\\u202E), never raw, on the page and in JSON",
  async (t) => {
    const s = await startHostileStack({ env: { ...RULES, DRY_RUN: 'true' } });
    t.teardown(() => s.close());
    // Raw, U+202E would show the rule's own "allowed: commbox-agents" reversed; U+2069 first ends any isolate
    // the value sits in.
    s.idp.users['alice']!['groups'] = ['\u202eevil', 'x\u2069\u202edenied by admin'];
    s.idp.users['alice']!['\u202eclaim'] = 1;
    const saw = 'groups: "\\u202Eevil", "x\\u2069\\u202Edenied by admin", from id token; allowed: commbox-agents';

    const page = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(page.last.status, 403);
    t.notMatch(page.last.body, DIRECTION_CONTROLS, 'no direction control anywhere on the page');
    t.ok(page.last.body.includes(`<li>${saw.replaceAll('"', '&quot;')}</li>`), 'each escaped where it was');
    t.ok(page.last.body.includes('<code>\\u202Eclaim (id token)</code>'), 'in a claim name too');

    const b = new Browser({ headers: { accept: 'application/json' } });
    const upTo = await b.walk(`${s.base}/login`, { stopAt: `${s.base}/callback` });
    const json = await b.fetch(upTo.stoppedAt!, { headers: { accept: 'application/json' } });
    t.notMatch(json.body, DIRECTION_CONTROLS, 'nor in the JSON text');
    const dryRun = (JSON.parse(json.body) as { dryRun: { saw: string[]; claimNames: string[] } }).dryRun;
    t.same(dryRun.saw, [saw]);
    t.ok(dryRun.claimNames.includes('\\u202Eclaim (id token)'));
    t.equal(s.ticketRequests(), 0);
  },
);

t.test(
  "DRY_RUN: the refusal's detail is bounded and its direction controls escaped, on the page and in JSON",
  async (t) => {
    const s = await startHostileStack({ env: { ...RULES, DRY_RUN: 'true', MAP_USERNAME: 'employee_id' } });
    t.teardown(() => s.close());
    // claim_missing's detail names every claim present: 150 names of 200 characters, one with U+2069 and U+202E.
    s.idp.users['alice']!['groups'] = ['commbox-agents'];
    s.idp.users['alice']!['a\u2069\u202eclaim'] = 1;
    for (let i = 0; i < 150; i++) s.idp.users['alice']![`claim_${String(i).padStart(3, '0')}_${'n'.repeat(200)}`] = i;

    const page = await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(page.last.status, 403);
    t.match(page.last.body, /\(claim_missing\)/);
    t.notMatch(page.last.body, DIRECTION_CONTROLS, 'no direction control anywhere on the page');
    const shown = /\(<code>claim_missing<\/code>: ([^\n]*)\)\.<\/p>/.exec(page.last.body)?.[1];
    t.ok(shown?.includes('a\\u2069\\u202Eclaim'), 'escaped');
    t.match(shown, /… \(\d{5} characters\)$/, 'cut, saying how long it was');
    t.ok(shown !== undefined && shown.length < 700, `bounded (${shown?.length} characters)`);

    const b = new Browser({ headers: { accept: 'application/json' } });
    const upTo = await b.walk(`${s.base}/login`, { stopAt: `${s.base}/callback` });
    const json = await b.fetch(upTo.stoppedAt!, { headers: { accept: 'application/json' } });
    t.notMatch(json.body, DIRECTION_CONTROLS, 'nor in the JSON text');
    const detail = (JSON.parse(json.body) as { dryRun: { detail: string } }).dryRun.detail;
    t.ok(detail.includes('a\\u2069\\u202Eclaim'), 'escaped in JSON');
    t.match(detail, /… \(\d{5} characters\)$/);
    t.ok(detail.length <= 520, `bounded in JSON (${detail.length} characters)`);
    t.ok(json.body.length < 40_000, `the answer stays small (${json.body.length} characters)`);
    t.equal(s.ticketRequests(), 0);
  },
);
