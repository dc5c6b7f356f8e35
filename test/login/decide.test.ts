/**
 * The decision at the end of a login, on its own: claims, the IdP's settings,
 * the CommBox settings and the target in; the ticket request and its
 * destination, or the refusal (reason, status, check, detail, user detail) out.
 * No server: the settings are parsed from an environment like the bridge's.
 */
import t from 'tap';
import type { Claims } from '../../src/claims/mapping.js';
import { parseConfig } from '../../src/config/parse.js';
import { BridgeError } from '../../src/errors.js';
import {
  checkUserinfoFailure,
  decideLogin,
  EMAIL_MAX_LENGTH,
  identityMapping,
  loginKind,
  signedInAs as accountLine,
  type IdpSettings,
} from '../../src/login/decide.js';
import { NO_RULES, TWO_IDP_BASE } from '../helpers/config.js';

const CHANNEL = 'nex9tHPKdBkD_fAfbuUPABg%3d%3d';
const CHAT_URL = 'https://chat.commbox.example/c';

const config = parseConfig({
  ...TWO_IDP_BASE,
  ALLOW_ANY_AUTHENTICATED: '',
  ALLOWED_GROUPS: 'commbox-agents',
  ALLOWED_EMAIL_DOMAINS: 'example.com',
  COMMBOX_CHAT_URL: CHAT_URL,
  COMMBOX_CHAT_CHANNELS: CHANNEL,
  OIDC_IDPS: 'acquired',
  IDP_ACQUIRED_ISSUER: 'https://acquired.example',
  IDP_ACQUIRED_CLIENT_ID: 'acq',
  IDP_ACQUIRED_CLIENT_SECRET: 'secret-acq',
  IDP_ACQUIRED_MAP_USERNAME: 'email',
  IDP_ACQUIRED_ALLOWED_GROUPS: 'finance',
  IDP_ACQUIRED_ALLOWED_EMAIL_DOMAINS: 'acquired.example',
});
const byName = (name: string) => config.idps.find((i) => i.name === name)!;
const main: IdpSettings = byName('default');
const acquired: IdpSettings = byName('acquired');
const { commbox } = config;

/** An agent of the default IdP whom every rule lets in. */
const ALICE: Claims = {
  sub: 'alice-sub',
  preferred_username: 'alice',
  email: 'alice@example.com',
  email_verified: true,
  given_name: 'Alice',
  family_name: 'Liddell',
  groups: ['commbox-agents'],
};
/** An agent of the acquired company's IdP. */
const BOB: Claims = { sub: 'bob-sub', email: 'bob@acquired.example', groups: ['finance'] };

/** The refusal `decide` throws, as the fields the page and the log line carry. */
function refusal(decide: () => unknown) {
  try {
    decide();
  } catch (e) {
    if (!(e instanceof BridgeError)) throw e;
    return { reason: e.reason, status: e.status, check: e.check, detail: e.detail, userDetail: e.userDetail };
  }
  throw new Error('not refused');
}

/** The page's line naming the account a refused person signed in with. */
const signedInAs = (email: string) => ({ key: 'detail.signed_in_as', values: { email } });

const agent = (claims: Claims, idp = main, idTokenClaims: Claims = claims) =>
  decideLogin({ claims, idTokenClaims, target: undefined }, idp, commbox);

t.test('an agent: the agent ticket, to COMMBOX_LOGIN_URL', async (t) => {
  for (const target of [undefined, '/login']) {
    const d = decideLogin({ claims: ALICE, idTokenClaims: ALICE, target }, main, commbox);
    t.strictSame(
      d,
      {
        data: {
          brand: 'b',
          username: 'alice',
          email: 'alice@example.com',
          firstName: 'Alice',
          lastName: 'Liddell',
          oneTimeUse: true,
        },
        destination: 'https://b.commbox.io/login',
        username: 'alice',
        email: 'alice@example.com',
        channel: undefined,
      },
      `target ${String(target)}`,
    );
  }
});

t.test('a chat customer: the chat ticket, to the channel exactly as given', async (t) => {
  const d = decideLogin({ claims: ALICE, idTokenClaims: ALICE, target: `/chat/${CHANNEL}` }, main, commbox);
  t.strictSame(d, {
    data: {
      brand: 'b',
      uniqueId: 'alice-sub',
      email: 'alice@example.com',
      firstName: 'Alice',
      lastName: 'Liddell',
      overrideUserInfo: true,
      oneTimeUse: true,
    },
    destination: `${CHAT_URL}/${CHANNEL}`,
    username: undefined,
    email: 'alice@example.com',
    channel: CHANNEL,
  });
  const noOverride = { ...commbox, chatOverrideUserInfo: false };
  const quiet = decideLogin({ claims: ALICE, idTokenClaims: ALICE, target: `/chat/${CHANNEL}` }, main, noOverride);
  t.equal(quiet.data.overrideUserInfo, false, 'COMMBOX_CHAT_OVERRIDE_USER_INFO=false');
});

t.test('an extra IdP: its own rules and mapping, never a phone number', async (t) => {
  t.strictSame(agent(BOB, acquired), {
    data: { brand: 'b', username: 'bob@acquired.example', email: 'bob@acquired.example', oneTimeUse: true },
    destination: 'https://b.commbox.io/login',
    username: 'bob@acquired.example',
    email: 'bob@acquired.example',
    channel: undefined,
  });
  // The configuration drops a phone mapping of an extra IdP; the decision holds without that lock.
  const withPhone = { ...acquired, mapping: { ...acquired.mapping, phone: main.mapping.phone } };
  t.not(withPhone.mapping.phone, undefined, 'the first lock is off');
  const d = agent({ ...BOB, phone_number: '+15550100' }, withPhone);
  t.equal(d.data.phone1, undefined, 'no phone1 in the ticket');
  t.equal(identityMapping(withPhone).phone, undefined);
  t.equal(agent({ ...ALICE, phone_number: '+15550100' }).data.phone1, '+15550100', 'the default IdP sends it');
  t.equal(identityMapping(main).phone, main.mapping.phone);
});

t.test('refused by the access rules', async (t) => {
  t.strictSame(
    refusal(() => agent(ALICE, { ...main, access: { ...NO_RULES, allowAnyAuthenticated: false } })),
    {
      reason: 'no_access_rule',
      status: 403,
      check: undefined,
      detail: 'no access rule is configured and ALLOW_ANY_AUTHENTICATED is not true',
      userDetail: undefined,
    },
  );
  t.strictSame(
    refusal(() => agent({ ...ALICE, email_verified: false })),
    {
      reason: 'email_unverified',
      status: 403,
      check: undefined,
      detail: 'email_verified is false',
      userDetail: signedInAs('alice@example.com'),
    },
  );
  t.strictSame(
    refusal(() => agent({ ...ALICE, groups: ['finance'] })),
    {
      reason: 'group_not_allowed',
      status: 403,
      check: undefined,
      detail: `none of the user's 1 group(s) in "groups" is allowed`,
      userDetail: signedInAs('alice@example.com'),
    },
  );
});

t.test('refused on the hosted domain of the ID token itself, never of userinfo', async (t) => {
  const google = { ...main, access: { ...main.access, allowedHostedDomains: ['example.com'] } };
  t.strictSame(
    refusal(() => agent({ ...ALICE, hd: 'example.com' }, google, ALICE)),
    {
      reason: 'hosted_domain_not_allowed',
      status: 403,
      check: undefined,
      detail: 'the ID token has no "hd" (not a Google Workspace account)',
      userDetail: signedInAs('alice@example.com'),
    },
  );
  t.strictSame(
    refusal(() => agent(ALICE, google, { ...ALICE, hd: 'other.example' })),
    {
      reason: 'hosted_domain_not_allowed',
      status: 403,
      check: undefined,
      detail: `the ID token's "hd" "other.example" is not allowed`,
      userDetail: signedInAs('alice@example.com'),
    },
  );
  t.equal(agent(ALICE, google, { ...ALICE, hd: 'example.com' }).username, 'alice', 'its own hd passes');
});

t.test('refused where the login goes: chat through an extra IdP, a channel no longer allowed, chat off', async (t) => {
  const chat = (idp: IdpSettings, settings = commbox, claims = ALICE) =>
    decideLogin({ claims, idTokenClaims: claims, target: `/chat/${CHANNEL}` }, idp, settings);
  t.strictSame(
    refusal(() => chat(acquired, commbox, BOB)),
    {
      reason: 'initiate_bad_target',
      status: 400,
      check: undefined,
      detail: 'customer chat access goes through the default IdP only, not "acquired"',
      userDetail: undefined,
    },
  );
  t.strictSame(
    refusal(() => chat(main, { ...commbox, chatChannels: ['other'] })),
    {
      reason: 'chat_channel_not_allowed',
      status: 403,
      check: undefined,
      detail: `chat channel ${JSON.stringify(CHANNEL)} is not in COMMBOX_CHAT_CHANNELS`,
      userDetail: undefined,
    },
  );
  t.strictSame(
    refusal(() => chat(main, { ...commbox, chatUrl: undefined })),
    {
      reason: 'not_found',
      status: 404,
      check: undefined,
      detail: 'customer chat access is off (COMMBOX_CHAT_URL is not set)',
      userDetail: undefined,
    },
  );
  t.equal(chat(main, { ...commbox, chatChannels: [], chatAnyChannel: true }).channel, CHANNEL, '* allows any');
});

t.test('refused when the identity CommBox needs cannot be mapped', async (t) => {
  const { preferred_username: _username, ...noUsername } = ALICE;
  t.strictSame(
    refusal(() => agent(noUsername)),
    {
      reason: 'claim_missing',
      status: 403,
      check: undefined,
      detail:
        'MAP_USERNAME (preferred_username) maps to nothing; claims present: email, email_verified, family_name, given_name, groups, sub',
      userDetail: { key: 'detail.claim_missing', values: { claims: ['preferred_username'] } },
    },
  );
  const { email: _email, ...noEmail } = ALICE;
  t.strictSame(
    refusal(() => agent(noEmail, { ...main, access: { ...main.access, allowedEmailDomains: [] } })),
    {
      reason: 'claim_missing',
      status: 403,
      check: undefined,
      detail:
        'neither MAP_EMAIL nor MAP_PHONE maps to a value (CommBox needs one of them); claims present: email_verified, family_name, given_name, groups, preferred_username, sub',
      userDetail: { key: 'detail.claim_missing', values: { claims: ['email', 'phone_number'] } },
    },
  );
  const { sub: _sub, ...noSub } = ALICE;
  t.strictSame(
    refusal(() => decideLogin({ claims: noSub, idTokenClaims: noSub, target: `/chat/${CHANNEL}` }, main, commbox)),
    {
      reason: 'claim_missing',
      status: 403,
      check: undefined,
      detail:
        'MAP_UNIQUE_ID (sub) maps to nothing; claims present: email, email_verified, family_name, given_name, groups, preferred_username',
      userDetail: { key: 'detail.claim_missing', values: { claims: ['sub'] } },
    },
    'a chat customer needs the unique ID, not a username',
  );
});

t.test("refused when the identity lies outside the IdP's own domains", async (t) => {
  t.strictSame(
    refusal(() => agent({ ...ALICE, email: 'alice@evil.example' })),
    {
      reason: 'email_domain_not_allowed',
      status: 403,
      check: undefined,
      detail: 'the domain "evil.example" of the mapped email is not allowed',
      userDetail: signedInAs('alice@evil.example'),
    },
  );
  t.strictSame(
    refusal(() => agent({ ...BOB, email: 'bob@example.com' }, acquired)),
    {
      reason: 'email_domain_not_allowed',
      status: 403,
      check: undefined,
      detail: 'the domain "example.com" of the mapped email is not allowed',
      userDetail: signedInAs('bob@example.com'),
    },
  );
  const plainUsername = { ...acquired, mapping: { ...acquired.mapping, username: main.mapping.username } };
  t.strictSame(
    refusal(() => agent({ ...BOB, preferred_username: 'bob' }, plainUsername)),
    {
      reason: 'username_without_domain',
      status: 403,
      check: undefined,
      detail:
        'the mapped username "bob" has no "@domain"; this IdP\'s usernames must be name@domain (one of its own ALLOWED_EMAIL_DOMAINS)',
      userDetail: signedInAs('bob@acquired.example'),
    },
  );
});

t.test('a username mapped with |localpart is judged on the address it was cut from', async (t) => {
  const local = parseConfig({
    ...TWO_IDP_BASE,
    ALLOW_ANY_AUTHENTICATED: '',
    ALLOWED_EMAIL_DOMAINS: 'example.com',
    MAP_USERNAME: 'upn|localpart',
    MAP_EMAIL: '',
    MAP_PHONE: 'phone_number',
  }).idps[0]!;
  const claims = { sub: 's', upn: 'alice@example.com', phone_number: '+15550100' };
  t.equal(agent(claims, local).username, 'alice', 'its own domain passes');
  t.strictSame(
    refusal(() => agent({ ...claims, upn: 'alice@evil.example' }, local)),
    {
      reason: 'email_domain_not_allowed',
      status: 403,
      check: undefined,
      detail: 'the domain "evil.example" of the mapped username (before |localpart) is not allowed',
      userDetail: undefined,
    },
  );
});

t.test('a userinfo failure refuses only when a claim the login needs is still missing', async (t) => {
  const cause = new Error('connection reset');
  const failure = new BridgeError('userinfo_failed', {
    check: 'userinfo.request',
    detail: 'userinfo: reset',
    cause,
  });
  t.doesNotThrow(() => checkUserinfoFailure(ALICE, failure, main, undefined), 'nothing missing: the login goes on');
  const { preferred_username: _username, ...noUsername } = ALICE;
  let thrown: unknown;
  try {
    checkUserinfoFailure(noUsername, failure, main, undefined);
  } catch (e) {
    thrown = e;
  }
  t.type(thrown, BridgeError);
  const e = thrown as BridgeError;
  t.strictSame(
    { reason: e.reason, status: e.status, check: e.check, detail: e.detail, userDetail: e.userDetail },
    {
      reason: 'userinfo_failed',
      status: 502,
      check: 'userinfo.request',
      detail: 'userinfo: reset; still missing without it: preferred_username',
      userDetail: undefined,
    },
  );
  t.equal(e.cause, cause, 'the cause is kept for the log');
  t.doesNotThrow(
    () => checkUserinfoFailure(noUsername, failure, main, `/chat/${CHANNEL}`),
    'a chat customer needs no username',
  );
  const { sub: _sub, ...noSub } = ALICE;
  t.strictSame(
    refusal(() => checkUserinfoFailure(noSub, failure, main, `/chat/${CHANNEL}`))?.detail,
    'userinfo: reset; still missing without it: sub',
  );
  t.strictSame(
    refusal(() => checkUserinfoFailure({ ...ALICE, email_verified: undefined }, failure, main, undefined))?.detail,
    'userinfo: reset; still missing without it: email_verified',
    'an email that userinfo might have called unverified',
  );
});

t.test('loginKind: a chat path is a customer, anything else an agent', async (t) => {
  t.equal(loginKind(undefined), 'agent');
  t.equal(loginKind('/login'), 'agent');
  t.equal(loginKind(`/chat/${CHANNEL}`), 'chat');
});

t.test('a chat ticket carries no username: the address a |localpart username was cut from is not judged', async (t) => {
  const local = parseConfig({
    ...TWO_IDP_BASE,
    ALLOW_ANY_AUTHENTICATED: '',
    ALLOWED_EMAIL_DOMAINS: 'example.com',
    MAP_USERNAME: 'upn|localpart',
    COMMBOX_CHAT_URL: CHAT_URL,
    COMMBOX_CHAT_CHANNELS: CHANNEL,
  });
  const idp: IdpSettings = local.idps[0]!;
  const claims = { sub: 's', upn: 'alice@evil.example', email: 'alice@example.com', email_verified: true };
  const d = decideLogin({ claims, idTokenClaims: claims, target: `/chat/${CHANNEL}` }, idp, local.commbox);
  t.equal(d.channel, CHANNEL);
  t.equal(d.email, 'alice@example.com');
  t.equal(refusal(() => agent(claims, idp)).reason, 'email_domain_not_allowed', 'an agent is judged on it');
});

t.test('a userinfo failure names every claim still missing', async (t) => {
  const failure = new BridgeError('userinfo_failed', { check: 'userinfo.request', detail: 'userinfo: reset' });
  const { preferred_username: _username, sub: _sub, ...neither } = ALICE;
  t.equal(
    refusal(() => checkUserinfoFailure({ ...neither, email_verified: undefined }, failure, main, undefined))?.detail,
    'userinfo: reset; still missing without it: preferred_username, email_verified',
  );
});

t.test('a wrong-account refusal names the account used: the mapped email, never another claim', async (t) => {
  const rules = { ...TWO_IDP_BASE, ALLOW_ANY_AUTHENTICATED: '', ALLOWED_GROUPS: 'commbox-agents' };
  const outsider = { ...ALICE, groups: ['finance'] };
  const shown = (claims: Claims, idp: IdpSettings = main) => refusal(() => agent(claims, idp)).userDetail;
  t.strictSame(shown(outsider), signedInAs('alice@example.com'));
  // MAP_EMAIL=upn|lower: the address CommBox would receive, as it would receive it, not the email claim.
  const upn = parseConfig({ ...rules, MAP_EMAIL: 'upn|lower' }).idps[0]!;
  t.strictSame(shown({ ...outsider, upn: ' Alice@Corp.Example ' }, upn), signedInAs('alice@corp.example'));
  t.equal(shown(outsider, upn), undefined, 'MAP_EMAIL maps to nothing: no line, though an email claim is there');
  const noEmail = parseConfig({ ...rules, MAP_EMAIL: '', MAP_PHONE: 'phone_number' }).idps[0]!;
  t.equal(shown(outsider, noEmail), undefined, 'no email mapped: no line');
  t.equal(accountLine(outsider, noEmail), undefined);
  // Only a value that looks like an address: one @, something on each side.
  t.strictSame(shown({ ...outsider, email: 'a@b' }), signedInAs('a@b'), 'the shortest address');
  for (const email of ['alice', '@example.com', 'alice@', 'alice@x@example.com', '@', ['alice@example.com'], 7])
    t.equal(shown({ ...outsider, email }), undefined, `not an address: ${JSON.stringify(email)}`);
  t.equal(
    refusal(() => agent({ ...ALICE, email: 'alice' })).userDetail,
    undefined,
    'the domain rule refuses an email without @domain, and names no account',
  );
});

t.test('the account line is bounded (RFC 5321: 254 characters) and shows no control character', async (t) => {
  const outsider = { ...ALICE, groups: ['finance'] };
  const email = (claims: Claims) => {
    const d = accountLine(claims, main);
    return d?.key === 'detail.signed_in_as' ? d.values.email : undefined;
  };
  t.equal(EMAIL_MAX_LENGTH, 254);
  const longest = `${'a'.repeat(242)}@example.com`;
  t.equal(longest.length, 254);
  t.equal(email({ ...outsider, email: longest }), longest, '254 characters: shown whole');
  t.equal(
    email({ ...outsider, email: `a${longest}` }),
    `${'a'.repeat(243)}@example.c\u2026`,
    '255: cut, with an ellipsis',
  );
  const huge = email({ ...outsider, email: `${'b'.repeat(10_000)}@example.com` })!;
  t.equal(huge.length, 254, 'a 10 KB value: 254 characters');
  t.equal(huge, `${'b'.repeat(253)}\u2026`);
  // Never half a character: a surrogate pair across the cut goes whole.
  const emoji = email({ ...outsider, email: `${'c'.repeat(252)}\u{1f600}${'d'.repeat(20)}@example.com` });
  t.equal(emoji, `${'c'.repeat(252)}\u2026`);
  const before = email({ ...outsider, email: `${'c'.repeat(251)}\u{1f600}${'d'.repeat(20)}@example.com` });
  t.equal(before, `${'c'.repeat(251)}\u{1f600}\u2026`, 'a pair before the cut stays');
  // Bidi controls, C0 and C1 controls, line and paragraph separators: each shown as U+FFFD.
  const unshown =
    '\u0000\u001f\u007f\u0085\u009f\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069';
  t.equal(
    email({ ...outsider, email: `x${unshown}y@example.com` }),
    `x${'\ufffd'.repeat(unshown.length)}y@example.com`,
  );
  t.equal(email({ ...outsider, email: '\u202emoc.elpmaxe@ecila' }), '\ufffdmoc.elpmaxe@ecila');
  // Their neighbours are text: an address in any script keeps its letters and joiners.
  const kept = ' \u00a0\u00ad\u061b\u061d\u200b\u200c\u200d\u2027\u202f\u2065\u206a';
  t.equal(email({ ...outsider, email: `x${kept}y@example.com` }), `x${kept}y@example.com`);
  t.equal(email({ ...outsider, email: 'דנה@example.com' }), 'דנה@example.com');
  t.equal(
    email({ ...outsider, email: '<script>alert(1)</script>@example.com' }),
    '<script>alert(1)</script>@example.com',
    'escaped by the page, not here',
  );
});

t.test('refusals with their own user detail keep it: the missing claim, not the account', async (t) => {
  const { preferred_username: _username, ...noUsername } = ALICE;
  t.match(refusal(() => agent(noUsername)).userDetail, { key: 'detail.claim_missing' });
  t.equal(
    refusal(() => agent(ALICE, { ...main, access: { ...NO_RULES, allowAnyAuthenticated: false } })).userDetail,
    undefined,
    'no_access_rule lets nobody in, whatever the account: no line',
  );
});
