/**
 * The DRY_RUN view of a refusal on its own: for each rule the decision, the
 * groups overage and a userinfo failure can refuse by, the rule in the
 * configuration's terms and what it saw; the claims' sources; the values cut in
 * length and count; and the page part rendered escaped.
 */
import t from 'tap';
import type { Claims } from '../../src/claims/mapping.js';
import { parseConfig } from '../../src/config/parse.js';
import { BridgeError, Reasons } from '../../src/errors.js';
import { decideLogin, type IdpSettings } from '../../src/login/decide.js';
import { dryRunRefusal, type RefusalStep } from '../../src/login/dry-run-refusal.js';
import type { VerifiedLogin } from '../../src/oidc/client.js';
import { renderErrorPage } from '../../src/web/pages.js';
import { TWO_IDP_BASE } from '../helpers/config.js';

const CHANNEL = 'nex9tHPKdBkD_fAfbuUPABg%3d%3d';
const config = parseConfig({
  ...TWO_IDP_BASE,
  ALLOW_ANY_AUTHENTICATED: '',
  ALLOWED_GROUPS: 'commbox-agents',
  ALLOWED_EMAIL_DOMAINS: 'example.com',
  MAP_PHONE: 'phone_number',
  COMMBOX_CHAT_URL: 'https://chat.commbox.example/c',
  COMMBOX_CHAT_CHANNELS: CHANNEL,
  OIDC_IDPS: 'acquired',
  IDP_ACQUIRED_ISSUER: 'https://acquired.example',
  IDP_ACQUIRED_CLIENT_ID: 'acq',
  IDP_ACQUIRED_CLIENT_SECRET: 'secret-acq',
  IDP_ACQUIRED_MAP_USERNAME: 'preferred_username',
  IDP_ACQUIRED_ALLOWED_EMAIL_DOMAINS: 'acquired.example',
});
const main: IdpSettings = config.idps.find((i) => i.name === 'default')!;
const acquired: IdpSettings = config.idps.find((i) => i.name === 'acquired')!;
const { commbox } = config;

const ALICE: Claims = {
  sub: 'alice-sub',
  preferred_username: 'alice',
  email: 'alice@example.com',
  email_verified: true,
  groups: ['commbox-agents'],
};

/** A verified login whose claims came from the ID token, and `userinfo` or `accessToken` when given. */
function verified(
  idToken: Claims,
  more: { userinfo?: Claims; accessToken?: Claims; userinfoError?: BridgeError } = {},
) {
  const login: VerifiedLogin = {
    claims: { ...more.userinfo, ...more.accessToken, ...idToken },
    idTokenClaims: idToken,
    accessTokenPayload: more.accessToken,
    userinfoClaims: more.userinfo,
    accessToken: 'at',
    accessTokenClaims: more.accessToken ? 'read' : undefined,
    userinfoError: more.userinfoError,
    sub: String(idToken['sub']),
    usedUserinfo: more.userinfo !== undefined,
    tokenMs: 1,
    userinfoMs: 1,
  };
  return login;
}

/** The view of the refusal `decideLogin` throws for `login` at `idp`, going to `target`. */
function viewOf(login: VerifiedLogin, idp = main, target: string | undefined = undefined, settings = commbox) {
  try {
    decideLogin({ claims: login.claims, idTokenClaims: login.idTokenClaims, target }, idp, settings);
  } catch (e) {
    if (!(e instanceof BridgeError)) throw e;
    return dryRunRefusal({ refusal: e, step: 'decision', idp, commbox: settings, login, claims: login.claims, target });
  }
  throw new Error('not refused');
}

t.test('the access rules: the rule, and the claim it read with its source', async (t) => {
  const unruled = { ...main, access: { ...main.access, allowedGroups: [], allowedEmailDomains: [] } };
  t.match(viewOf(verified(ALICE), unruled), {
    rule: 'ALLOWED_GROUPS, ALLOWED_EMAIL_DOMAINS, ALLOWED_HOSTED_DOMAINS or ALLOW_ANY_AUTHENTICATED=true',
    reason: 'no_access_rule',
    saw: ['no access rule is set, and ALLOW_ANY_AUTHENTICATED is not true'],
  });
  t.match(viewOf(verified({ ...ALICE, email_verified: 'false' })), {
    rule: 'email_verified',
    saw: ['email_verified: "false", from id token'],
  });
  const strict = { ...main, access: { ...main.access, requireVerifiedEmail: true } };
  const { email_verified: _v, ...unverified } = ALICE;
  t.match(viewOf(verified(unverified), strict), {
    rule: 'email_verified (REQUIRE_VERIFIED_EMAIL=true)',
    saw: ['email_verified: none, absent from id token'],
  });
  const { groups: _g, ...noGroups } = ALICE;
  t.match(viewOf(verified(noGroups, { userinfo: { sub: 'alice-sub' } })), {
    rule: 'ALLOWED_GROUPS',
    saw: ['groups: none, absent from id token and userinfo; allowed: commbox-agents'],
    sources: ['id token', 'userinfo'],
  });
  t.match(viewOf(verified(noGroups, { userinfo: { groups: [] } })), {
    saw: ['groups: none (an empty list), from userinfo; allowed: commbox-agents'],
  });
  t.match(viewOf(verified(noGroups, { accessToken: { groups: [7, null, { a: 1 }, 'x'] } })), {
    saw: ['groups: 7, null, an object, "x", from access token; allowed: commbox-agents'],
    sources: ['id token', 'access token'],
    claimNames: [
      'email (id token)',
      'email_verified (id token)',
      'groups (access token)',
      'preferred_username (id token)',
      'sub (id token)',
    ],
  });
  const google = { ...main, access: { ...main.access, allowedHostedDomains: ['example.com'] } };
  t.match(viewOf(verified({ ...ALICE, hd: 'other.example' }), google), {
    rule: 'ALLOWED_HOSTED_DOMAINS',
    saw: ['hd of the ID token: "other.example"; allowed: example.com'],
  });
  t.match(viewOf(verified(ALICE, { userinfo: { hd: 'example.com' } }), google), {
    saw: ['hd of the ID token: absent; allowed: example.com'],
  });
});

t.test('the mapping and the domains: what each mapping gave, from which claim', async (t) => {
  const { preferred_username: _u, ...noUsername } = ALICE;
  t.match(viewOf(verified(noUsername)), {
    rule: 'MAP_USERNAME',
    reason: 'claim_missing',
    saw: [
      'MAP_USERNAME=preferred_username: maps to nothing (claim preferred_username: none, absent from id token)',
      'MAP_EMAIL=email: "alice@example.com" (claim email: "alice@example.com", from id token)',
      'MAP_PHONE=phone_number: maps to nothing (claim phone_number: none, absent from id token)',
    ],
  });
  const { email: _e, ...noEmail } = ALICE;
  const unscoped = { ...main, access: { ...main.access, allowedEmailDomains: [] } };
  t.match(viewOf(verified(noEmail), unscoped), { rule: 'MAP_EMAIL or MAP_PHONE' });
  t.match(
    viewOf(verified({ ...ALICE, sub: { id: 12 } }), main, `/chat/${CHANNEL}`, { ...commbox, chatAnyChannel: true }),
    {
      rule: 'MAP_UNIQUE_ID',
      saw: ['MAP_UNIQUE_ID=sub: maps to nothing (claim sub: an object, from id token)'],
    },
  );
  t.match(viewOf(verified({ ...ALICE, email: 'alice@elsewhere.example' })), {
    rule: 'ALLOWED_EMAIL_DOMAINS',
    saw: [
      'MAP_USERNAME=preferred_username: "alice" (claim preferred_username: "alice", from id token)',
      'MAP_EMAIL=email: "alice@elsewhere.example" (claim email: "alice@elsewhere.example", from id token)',
      'MAP_PHONE=phone_number: maps to nothing (claim phone_number: none, absent from id token)',
      'allowed: example.com',
    ],
  });
  t.match(
    viewOf(
      verified({ sub: 'b', preferred_username: 'bob', email: 'bob@acquired.example', groups: ['commbox-agents'] }),
      acquired,
    ),
    {
      idp: 'acquired',
      rule: "an extra IdP's username is name@domain",
      saw: ['IDP_ACQUIRED_MAP_USERNAME=preferred_username: "bob" (claim preferred_username: "bob", from id token)'],
    },
  );
});

t.test(
  'where the login goes: the chat allow-list, chat through an extra IdP, anything else by its reason',
  async (t) => {
    t.match(viewOf(verified(ALICE), main, `/chat/${CHANNEL}`, { ...commbox, chatChannels: ['other', 'more'] }), {
      rule: 'COMMBOX_CHAT_CHANNELS',
      saw: [`channel: "${CHANNEL}"`, 'allowed: other, more'],
    });
    t.match(viewOf(verified({ ...ALICE, email: 'a@acquired.example' }), acquired, `/chat/${CHANNEL}`), {
      rule: 'customer chat access goes through the default IdP only',
      saw: ['IdP: acquired', `target: "/chat/${CHANNEL}"`],
    });
    t.match(viewOf(verified(ALICE), main, `/chat/${CHANNEL}`, { ...commbox, chatUrl: undefined }), {
      rule: 'not_found',
      saw: [],
    });
  },
);

t.test(
  'a refusal before the decision: the groups overage, a userinfo failure with a claim still missing',
  async (t) => {
    const view = (e: BridgeError, step: RefusalStep, login: VerifiedLogin) =>
      dryRunRefusal({ refusal: e, step, idp: main, commbox, login, claims: login.claims, target: undefined });
    const { groups: _g, ...rest } = ALICE;
    const overage = { ...rest, _claim_names: { groups: 'src1' } };
    t.match(
      view(
        new BridgeError(Reasons.groupsOverage, { check: 'groups.overage', detail: 'd' }),
        'groups_overage',
        verified(overage),
      ),
      {
        rule: 'GROUPS_OVERAGE=refuse',
        detail: 'd',
        saw: [
          'groups: none, absent from id token; the ID token names it in _claim_names (more than 200 groups)',
          'allowed: commbox-agents',
        ],
      },
    );
    const failed = new BridgeError(Reasons.userinfoFailed, { check: 'userinfo.status', detail: 'HTTP 503' });
    const { groups: _h, ...missing } = ALICE;
    t.match(view(failed, 'userinfo', verified(missing, { userinfoError: failed })), {
      rule: 'the claims a login cannot do without, when userinfo failed',
      saw: ['missing: groups', 'userinfo failed: userinfo_failed (userinfo.status)'],
      sources: ['id token', 'userinfo (failed)'],
    });
    const bare = new BridgeError(Reasons.userinfoFailed, { detail: 'x' });
    t.match(view(bare, 'userinfo', verified(ALICE, { userinfoError: bare })), {
      saw: ['missing: none', 'userinfo failed: userinfo_failed'],
    });
    // Groups read from Microsoft Graph are named by their source.
    const graph = verified(ALICE);
    t.match(
      dryRunRefusal({
        refusal: bare,
        step: 'decision',
        idp: main,
        commbox,
        login: graph,
        claims: { ...graph.claims, 'roles.all': ['x'] },
        target: undefined,
      }),
      {
        sources: ['id token', 'Microsoft Graph'],
        claimNames: [
          'email (id token)',
          'email_verified (id token)',
          'groups (id token)',
          'preferred_username (id token)',
          'roles.all (Microsoft Graph)',
          'sub (id token)',
        ],
      },
    );
  },
);

t.test('the page part: after the usual page, escaped; none of it without a DRY_RUN view', async (t) => {
  const view = viewOf(verified({ ...ALICE, groups: ['<b>"x"</b>'] }));
  const ctx = { loginUrl: 'https://bridge.example.com/login' };
  const page = renderErrorPage('group_not_allowed', 'req-1', ctx, undefined, 'en', view);
  t.match(
    page,
    `<section lang="en" dir="ltr">
<h2>Dry run: the rule that refused</h2>
<p><code>ALLOWED_GROUPS</code> refused the sign-in with IdP <code>default</code> (<code>group_not_allowed</code>: none of the user&#39;s 1 group(s) in &quot;groups&quot; is allowed).</p>
<h2>What it saw</h2>
<ul>
<li>groups: &quot;&lt;b&gt;\\&quot;x\\&quot;&lt;/b&gt;&quot;, from id token; allowed: commbox-agents</li>
</ul>
<h2>Claims received (names only)</h2>
<p>Read from: id token.</p>
<p><code>email (id token)</code>, <code>email_verified (id token)</code>, <code>groups (id token)</code>, <code>preferred_username (id token)</code>, <code>sub (id token)</code></p>
<p>Shown because <code>DRY_RUN=true</code>; without it this page ends above. None of it is logged.</p>
</section>
<p class="ref">Reference: <code>req-1</code> (group_not_allowed)</p>`,
  );
  t.notMatch(page, /<b>/);
  const noRule = renderErrorPage('not_found', 'req-2', ctx, undefined, 'en', { ...view, saw: [], detail: undefined });
  t.notMatch(noRule, /What it saw/, 'no list when the rule saw nothing to show');
  t.match(noRule, /\(<code>group_not_allowed<\/code>\)\.<\/p>/, 'no detail, no colon');
  t.equal(
    renderErrorPage('group_not_allowed', 'req-1', ctx),
    page.replace(/<section lang="en" dir="ltr">\n<h2>Dry run[^]*?(?=<p class="ref">)/, ''),
    'without the view, the page is the usual one',
  );
  const hebrew = renderErrorPage('group_not_allowed', 'req-3', ctx, undefined, 'he', view);
  t.match(hebrew, /<html lang="he" dir="rtl">/);
  t.match(
    hebrew,
    /<section lang="en" dir="ltr">\n<h2>Dry run: the rule that refused<\/h2>/,
    "on a right-to-left page the operator's English part reads left to right",
  );
});
