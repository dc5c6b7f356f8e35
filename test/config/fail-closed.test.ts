/**
 * The configuration refuses what would let more people in than the company meant:
 * no access rule without saying so (misspelt variables: unknown.test.ts; weak cookie
 * secrets: strength.test.ts), a protocol parameter in another letter case, a username that merges two people,
 * contradicting email rules, and names that only exist on Object's prototype.
 */
import t from 'tap';
import { evaluateAccess } from '../../src/claims/access.js';
import { parseClaimMapping } from '../../src/config/claim-mapping.js';
import { parseConfig } from '../../src/config/parse.js';
import { passThroughParams } from '../../src/oidc/authorization-params.js';
import { NO_RULES, unruledProblems, UNRULED, WITH_ENTRA } from '../helpers/config.js';

const problems = unruledProblems;

t.test('no implicit everyone: a rule, or ALLOW_ANY_AUTHENTICATED=true, or no start', async (t) => {
  const none = problems({});
  t.same(Object.keys(none), ['ALLOW_ANY_AUTHENTICATED'], 'the one problem');
  t.match(
    none['ALLOW_ANY_AUTHENTICATED'],
    /ALLOWED_GROUPS \(e\.g\. commbox-agents\), ALLOWED_EMAIL_DOMAINS or ALLOWED_HOSTED_DOMAINS.*ALLOW_ANY_AUTHENTICATED=true/,
  );
  for (const rule of [
    { ALLOWED_GROUPS: 'commbox-agents' },
    { ALLOWED_EMAIL_DOMAINS: 'example.com' },
    { ALLOWED_HOSTED_DOMAINS: 'example.com' },
  ]) {
    t.same(problems(rule), {}, `${Object.keys(rule)[0]} is a rule`);
  }
  t.same(problems({ ALLOW_ANY_AUTHENTICATED: 'false' }), none, 'false is the default');
  const open = parseConfig({ ...UNRULED, ALLOW_ANY_AUTHENTICATED: 'true' });
  t.equal(open.idps[0]!.access.allowAnyAuthenticated, true);
  const both = parseConfig({ ...UNRULED, ALLOW_ANY_AUTHENTICATED: 'true', ALLOWED_GROUPS: 'agents' });
  t.match(
    evaluateAccess({ groups: ['other'] }, both.idps[0]!.access),
    { allowed: false, rule: 'group_not_allowed' },
    'beside a rule it changes nothing',
  );
  // An extra IdP has a rule of its own (its email domains); its own variable is known.
  const extra = parseConfig({
    ...UNRULED,
    ALLOWED_EMAIL_DOMAINS: 'corp.example',
    OIDC_IDPS: 'acquired',
    IDP_ACQUIRED_ISSUER: 'https://acquired.example.com',
    IDP_ACQUIRED_CLIENT_ID: 'x',
    IDP_ACQUIRED_CLIENT_SECRET: 'y',
    IDP_ACQUIRED_ALLOWED_EMAIL_DOMAINS: 'acquired.example',
    IDP_ACQUIRED_ALLOW_ANY_AUTHENTICATED: 'true',
  });
  t.same(
    extra.idps.map((i) => i.access.allowAnyAuthenticated),
    [false, true],
    'per IdP, never inherited',
  );
});

t.test('second lock: access rules built without any rule refuse everyone', async (t) => {
  const closed = { ...NO_RULES, allowAnyAuthenticated: false };
  t.match(evaluateAccess({ sub: 'a', groups: ['x'], email_verified: true }, closed), {
    allowed: false,
    rule: 'no_access_rule',
  });
  t.same(evaluateAccess({ sub: 'a' }, NO_RULES), { allowed: true }, 'explicitly open');
  t.same(
    evaluateAccess({ sub: 'a', groups: ['agents'] }, { ...closed, allowedGroups: ['agents'] }),
    { allowed: true },
    'a rule is enough',
  );
});

t.test('protocol parameters are refused in any letter case', async (t) => {
  t.match(problems({ ALLOWED_GROUPS: 'a', OIDC_AUTH_PARAMS: 'Prompt=none' }), {
    OIDC_AUTH_PARAMS: /"Prompt" \(prompt\) has its own variable, OIDC_PROMPT/,
  });
  t.match(problems({ ALLOWED_GROUPS: 'a', OIDC_AUTH_PARAMS: 'REDIRECT_URI=https%3A%2F%2Fevil.example' }), {
    OIDC_AUTH_PARAMS: /"REDIRECT_URI" \(redirect_uri\) is a protocol parameter/,
  });
  t.match(problems({ ALLOWED_GROUPS: 'a', OIDC_PASS_THROUGH_PARAMS: 'login_hint,Redirect_Uri,STATE' }), {
    OIDC_PASS_THROUGH_PARAMS: /"Redirect_Uri" \(redirect_uri\) is a protocol parameter|"STATE" \(state\)/,
  });
  // Second lock: a list that reached the login anyway copies none of them.
  t.same(
    passThroughParams(
      ['Redirect_Uri', 'PROMPT', 'login_hint'],
      { Redirect_Uri: 'https://evil.example', PROMPT: 'none', login_hint: 'bob' },
      {},
    ),
    {
      login_hint: 'bob',
    },
  );
});

t.test('messages say what to write instead', async (t) => {
  t.match(problems({ ALLOWED_GROUPS: 'a', REDIS_CA_FILE: '/run/secrets/redis-ca.pem' }), {
    REDIS_CA_FILE: /is set but REDIS_URL is not: set REDIS_URL \(rediss:\/\/…\), or remove REDIS_CA_FILE/,
  });
  t.match(
    problems({ ALLOWED_GROUPS: 'a', COMMBOX_API_KEY: undefined, COMMBOX_API_KEY_FILE: '/nonexistent/commbox-api-key' }),
    {
      COMMBOX_API_KEY_FILE:
        /cannot read \/nonexistent\/commbox-api-key \(ENOENT\): check the path and the mounted secret's keys, or set COMMBOX_API_KEY instead/,
    },
  );
  t.match(problems({ ALLOWED_GROUPS: 'a', RATE_LIMIT_MAX: 'off' }), {
    RATE_LIMIT_MAX: /whole number from 0 to 1000000, got "off" \(0 turns the limits off\)/,
  });
});

t.test('an empty acr_values would refuse every login: a configuration error', async (t) => {
  t.match(problems({ ALLOWED_GROUPS: 'a', OIDC_AUTH_PARAMS: 'acr_values=&domain_hint=example.com' }), {
    OIDC_AUTH_PARAMS: /empty "acr_values"/,
  });
  t.match(problems({ ALLOWED_GROUPS: 'a', OIDC_AUTH_PARAMS: 'acr_values=%20' }), {
    OIDC_AUTH_PARAMS: /empty "acr_values"/,
  });
  t.same(problems({ ALLOWED_GROUPS: 'a', OIDC_AUTH_PARAMS: 'acr_values=phr%20phrh' }), {});
});

t.test('acr_values in another letter case, or one letter off, is refused: only acr_values is checked', async (t) => {
  for (const name of ['ACR_VALUES', 'Acr_Values', 'acr_Values']) {
    t.match(
      problems({ ALLOWED_GROUPS: 'a', OIDC_AUTH_PARAMS: `${name}=mfa` }),
      { OIDC_AUTH_PARAMS: new RegExp(`"${name}": write acr_values`) },
      name,
    );
  }
  for (const name of ['acr_value', 'acrvalues', 'acr-values', 'acr_valuess', 'ACR_VALUE', 'acr_valves']) {
    t.match(
      problems({ ALLOWED_GROUPS: 'a', OIDC_AUTH_PARAMS: `${name}=mfa` }),
      { OIDC_AUTH_PARAMS: new RegExp(`"${name}": did you mean acr_values\\?`) },
      name,
    );
  }
  t.match(
    problems({ ALLOWED_GROUPS: 'a', ...WITH_ENTRA, IDP_ENTRA_AUTH_PARAMS: 'Acr_Values=mfa' }),
    { IDP_ENTRA_AUTH_PARAMS: /write acr_values/ },
    'an extra IdP too',
  );
  t.same(
    problems({ ALLOWED_GROUPS: 'a', OIDC_AUTH_PARAMS: 'acr_values=mfa&acr=x&values=y&resource=urn%3Ax' }),
    {},
    'acr_values itself, and names further off',
  );
});

t.test('a username that would merge two people is refused', async (t) => {
  t.match(problems({ ALLOWED_EMAIL_DOMAINS: 'one.example,two.example', MAP_USERNAME: 'email|localpart|lower' }), {
    MAP_USERNAME:
      /drops the domain while ALLOWED_EMAIL_DOMAINS allows 2 domains: alice@one\.example and alice@two\.example would both become the CommBox user "alice"\. Map the whole email/,
  });
  t.match(problems({ ALLOWED_GROUPS: 'agents', MAP_USERNAME: 'upn|localpart' }), {
    MAP_USERNAME: /drops the domain while any email domain is allowed/,
  });
  t.match(problems({ ALLOWED_EMAIL_DOMAINS: 'one.example', MAP_USERNAME: 'email|domain' }), {
    MAP_USERNAME: /every user of a domain to the same username/,
  });
  t.same(
    problems({ ALLOWED_EMAIL_DOMAINS: 'one.example', MAP_USERNAME: 'email|localpart|lower' }),
    {},
    'with exactly one domain the local part is unique',
  );
  t.same(problems({ ALLOWED_EMAIL_DOMAINS: 'one.example,two.example', MAP_USERNAME: 'email|lower' }), {});
});

t.test('ALLOW_UNVERIFIED_EMAIL contradicts every IdP that requires a verified email', async (t) => {
  const env = {
    ...WITH_ENTRA,
    ALLOW_UNVERIFIED_EMAIL: 'true',
  };
  t.same(problems(env), {});
  t.same(problems({ ...env, IDP_ENTRA_REQUIRE_VERIFIED_EMAIL: 'true' }), {
    IDP_ENTRA_REQUIRE_VERIFIED_EMAIL: 'and ALLOW_UNVERIFIED_EMAIL are both true; choose one',
  });
  t.same(
    problems({ ...env, REQUIRE_VERIFIED_EMAIL: 'true' }),
    {
      REQUIRE_VERIFIED_EMAIL: 'and ALLOW_UNVERIFIED_EMAIL are both true; choose one',
      IDP_ENTRA_REQUIRE_VERIFIED_EMAIL: 'and ALLOW_UNVERIFIED_EMAIL are both true; choose one',
    },
    'inherited by the extra IdP, so reported for it too',
  );
});

t.test("names that exist only on Object's prototype are not transforms or fixed parameters", async (t) => {
  for (const name of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
    t.throws(() => parseClaimMapping(`email|${name}`), {
      message: `unknown transform "${name}" (known: lower, upper, trim, localpart, domain)`,
    });
    t.match(problems({ ALLOWED_GROUPS: 'agents', MAP_USERNAME: `email|${name}` }), {
      MAP_USERNAME: /unknown transform/,
    });
  }
  t.same(
    passThroughParams(['constructor', 'toString'], { constructor: 'a', toString: 'b' }, {}),
    { constructor: 'a', toString: 'b' },
    'not taken for fixed ones',
  );
  t.same(
    passThroughParams(['domain_hint'], { domain_hint: 'link.example' }, { domain_hint: 'fixed.example' }),
    {},
    'a fixed one still wins',
  );
});
