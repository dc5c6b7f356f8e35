/**
 * The rules between an IdP's variables run for the default IdP and for every
 * extra one alike, each problem named as that IdP's variable; the few that only
 * an extra IdP has are told apart by its name. They read the walk's result: a
 * variable set but unusable counts as set.
 */
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { idpRules, rulesBetweenIdps, type WalkedIdp } from '../../src/config/idp-rules.js';
import { parseConfig } from '../../src/config/parse.js';
import { PER_IDP_VARIABLES, VARIABLES, type VariableName } from '../../src/config/table.js';
import type { VariableProblem } from '../../src/config/unknown.js';
import { walkVariables, type NameOf } from '../../src/config/walk.js';
import { ConfigError } from '../../src/errors.js';
import { TWO_IDP_BASE } from '../helpers/config.js';
import { selfSignedCertificate } from '../helpers/tls.js';

/** A default IdP that passes every rule: the one extra IdPs inherit from. */
const DEFAULT_OK = {
  OIDC_ISSUER: 'https://a.example.com',
  OIDC_CLIENT_ID: 'a',
  OIDC_CLIENT_SECRET: 's',
  ALLOWED_GROUPS: 'g',
};

const keys = selfSignedCertificate();
const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
const FILES: Record<string, string> = {
  '/k/key.pem': keys.key,
  '/k/cert.pem': keys.cert,
  '/k/other-key.pem': String(otherKey),
  '/k/empty': '',
};
const readFile = (path: string) => {
  if (Object.hasOwn(FILES, path)) return FILES[path]!;
  throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
};

/** The default IdP's values, which an extra IdP inherits where it sets none. */
const INHERITED = walkVariables(DEFAULT_OK, PER_IDP_VARIABLES, (n) => n, [], readFile).values;

/**
 * Walks one IdP's variables for `name`, each given by what follows `IDP_<NAME>_`
 * (`CLIENT_AUTH`; `CLIENT_SECRET_FILE` for a secret's file).
 */
function walkIdp(name: string, settings: Record<string, string>): WalkedIdp {
  const nameOf: NameOf = name === 'default' ? (n) => n : (n) => `IDP_${name.toUpperCase()}_${VARIABLES[n].idpSuffix!}`;
  const env: Record<string, string> = {};
  for (const [suffix, value] of Object.entries(settings)) {
    const own = PER_IDP_VARIABLES.find((v) => VARIABLES[v].idpSuffix === suffix);
    const secret = PER_IDP_VARIABLES.find((v) => VARIABLES[v].secret && `${VARIABLES[v].idpSuffix}_FILE` === suffix);
    if (own !== undefined) env[nameOf(own)] = value;
    else if (secret !== undefined) env[`${nameOf(secret)}_FILE`] = value;
    else throw new Error(`no per-IdP variable ${suffix}`);
  }
  const inherit = name === 'default' ? undefined : INHERITED;
  return { name, nameOf, ...walkVariables(env, PER_IDP_VARIABLES, nameOf, [], readFile, inherit) };
}

/** The problems the rules find for `idp` (not the walk's own). */
function ruleProblems(idp: WalkedIdp, allowUnverifiedEmail = false): VariableProblem[] {
  const problems: VariableProblem[] = [];
  idpRules(idp, allowUnverifiedEmail, (variable, problem) => void problems.push({ variable, problem }));
  return problems;
}

/** `problems` with every default-IdP variable name written as `name`'s. */
function asExtra(problems: VariableProblem[], name: string): VariableProblem[] {
  const names = [...PER_IDP_VARIABLES].sort((a, b) => b.length - a.length);
  const rename = (s: string) =>
    s.replace(
      new RegExp(`(?<![A-Z0-9_])(${names.join('|')})(?![A-Z0-9])`, 'g'),
      (n) => `IDP_${name.toUpperCase()}_${VARIABLES[n as VariableName].idpSuffix!}`,
    );
  return problems.map((p) => ({ variable: rename(p.variable), problem: rename(p.problem) }));
}

/** Each case: an IdP's settings by suffix (every IdP has these), and what the rules must say. */
const CASES: { what: string; settings: Record<string, string>; variables: string[]; allowUnverifiedEmail?: boolean }[] =
  [
    {
      what: 'private_key_jwt without a key',
      settings: { CLIENT_AUTH: 'private_key_jwt', ALLOWED_GROUPS: 'g' },
      variables: ['OIDC_CLIENT_PRIVATE_KEY_FILE'],
    },
    {
      what: 'a key without a key ID or a certificate',
      settings: { CLIENT_AUTH: 'private_key_jwt', CLIENT_PRIVATE_KEY_FILE: '/k/key.pem', ALLOWED_GROUPS: 'g' },
      variables: ['OIDC_CLIENT_PRIVATE_KEY_KID'],
    },
    {
      what: "a certificate that is not the key's, and a client secret beside the key",
      settings: {
        CLIENT_AUTH: 'private_key_jwt',
        CLIENT_PRIVATE_KEY_FILE: '/k/other-key.pem',
        CLIENT_CERTIFICATE_FILE: '/k/cert.pem',
        CLIENT_SECRET: 'unused',
        ALLOWED_GROUPS: 'g',
      },
      variables: ['OIDC_CLIENT_CERTIFICATE_FILE', 'OIDC_CLIENT_SECRET'],
    },
    {
      what: 'a certificate without private_key_jwt',
      settings: { CLIENT_SECRET: 's', CLIENT_CERTIFICATE_FILE: '/k/cert.pem', ALLOWED_GROUPS: 'g' },
      variables: ['OIDC_CLIENT_CERTIFICATE_FILE'],
    },
    { what: 'no client secret', settings: { ALLOWED_GROUPS: 'g' }, variables: ['OIDC_CLIENT_SECRET'] },
    {
      what: 'neither email nor phone mapped',
      settings: { CLIENT_SECRET: 's', ALLOWED_GROUPS: 'g', MAP_EMAIL: '', MAP_PHONE: '' },
      variables: ['MAP_EMAIL'],
    },
    {
      what: 'no access rule and no ALLOW_ANY_AUTHENTICATED',
      settings: { CLIENT_SECRET: 's', ALLOWED_GROUPS: '' },
      variables: ['ALLOW_ANY_AUTHENTICATED'],
    },
    {
      what: 'REQUIRE_VERIFIED_EMAIL against ALLOW_UNVERIFIED_EMAIL',
      settings: { CLIENT_SECRET: 's', ALLOWED_GROUPS: 'g', REQUIRE_VERIFIED_EMAIL: 'true' },
      variables: ['REQUIRE_VERIFIED_EMAIL'],
      allowUnverifiedEmail: true,
    },
  ];

t.test('every per-IdP rule holds for the default IdP and an extra one alike, named as its variable', async (t) => {
  for (const c of CASES) {
    const ofDefault = ruleProblems(walkIdp('default', c.settings), c.allowUnverifiedEmail);
    t.same(
      ofDefault.map((p) => p.variable),
      c.variables,
      `default IdP: ${c.what}`,
    );
    t.same(
      ruleProblems(walkIdp('acq', c.settings), c.allowUnverifiedEmail),
      asExtra(ofDefault, 'acq'),
      `extra IdP: ${c.what}`,
    );
  }
  t.same(ruleProblems(walkIdp('default', { CLIENT_SECRET: 's', ALLOWED_GROUPS: 'g' })), [], 'the default IdP passes');
  t.same(ruleProblems(walkIdp('acq', { CLIENT_SECRET: 's', ALLOWED_GROUPS: 'g' })), [], 'the extra IdP passes');
});

t.test('what only an extra IdP is held to: phone1 never sent, usernames with a domain', async (t) => {
  const ok = { CLIENT_SECRET: 's', ALLOWED_GROUPS: 'g' };
  t.same(ruleProblems(walkIdp('default', { ...ok, MAP_PHONE: 'phone_number' })), [], 'the default IdP may map a phone');
  t.same(ruleProblems(walkIdp('acq', { ...ok, MAP_PHONE: 'phone_number' })), [
    {
      variable: 'IDP_ACQ_MAP_PHONE',
      problem:
        "is set, but an extra IdP never sends phone1 (a phone number has no domain, so it could name another IdP's agent); remove it",
    },
  ]);
  t.same(
    ruleProblems(walkIdp('acq', { ...ok, MAP_PHONE: 'x..y' })).map((p) => p.variable),
    ['IDP_ACQ_MAP_PHONE'],
    'set but unparsable is set',
  );
  t.same(
    ruleProblems(walkIdp('acq', { ...ok, MAP_EMAIL: '' })),
    [
      {
        variable: 'IDP_ACQ_MAP_EMAIL',
        problem: 'is empty, but an extra IdP identifies its agents by email: it never sends phone1',
      },
    ],
    'the phone inherited from MAP_PHONE does not identify its agents',
  );
  t.same(ruleProblems(walkIdp('default', { ...ok, MAP_EMAIL: '' })), [], 'the default IdP may identify by phone');

  t.match(
    ruleProblems(walkIdp('acq', { ...ok, MAP_USERNAME: 'email|localpart', ALLOWED_EMAIL_DOMAINS: 'a.example' })),
    [{ variable: 'IDP_ACQ_MAP_USERNAME', problem: /an extra IdP's usernames must carry one of its own domains/ }],
  );
  t.same(
    ruleProblems(walkIdp('default', { ...ok, MAP_USERNAME: 'email|localpart', ALLOWED_EMAIL_DOMAINS: 'a.example' })),
    [],
    'the default IdP may drop the domain of its one email domain',
  );
});

t.test('a variable set but unusable counts as set: its own problem, not "is required"', async (t) => {
  const pk = { CLIENT_AUTH: 'private_key_jwt', ALLOWED_GROUPS: 'g' };
  for (const name of ['default', 'acq']) {
    t.same(ruleProblems(walkIdp(name, { ...pk, CLIENT_PRIVATE_KEY_FILE: '/k/missing.pem' })), [], `${name}: key file`);
    t.same(
      ruleProblems(
        walkIdp(name, { ...pk, CLIENT_PRIVATE_KEY_FILE: '/k/key.pem', CLIENT_CERTIFICATE_FILE: '/k/empty' }),
      ),
      [],
      `${name}: a certificate file stands in for the key ID even when it is unusable`,
    );
    t.same(
      ruleProblems(
        walkIdp(name, { CLIENT_SECRET: 's', ALLOWED_GROUPS: 'g', CLIENT_CERTIFICATE_FILE: '/k/missing.pem' }),
      ).map((p) => p.problem),
      [`is used only with ${name === 'default' ? 'OIDC_CLIENT_AUTH' : 'IDP_ACQ_CLIENT_AUTH'}=private_key_jwt`],
      `${name}: a certificate without private_key_jwt is refused even when unreadable`,
    );
    for (const file of ['/k/missing', '/k/empty'])
      t.same(
        ruleProblems(walkIdp(name, { CLIENT_SECRET_FILE: file, ALLOWED_GROUPS: 'g' })),
        [],
        `${name}: a client secret named in ${file} is not missing`,
      );
  }
});

t.test('rules between IdPs: each its own email domains, and its own issuer', async (t) => {
  const problems: VariableProblem[] = [];
  const bad = (variable: string, problem: string) => void problems.push({ variable, problem });
  const a = walkIdp('default', { ISSUER: 'https://a.example', ALLOWED_EMAIL_DOMAINS: 'one.example' });
  const b = walkIdp('acq', { ISSUER: 'https://a.example', ALLOWED_EMAIL_DOMAINS: 'one.example' });
  const c = walkIdp('third', { ISSUER: 'https://c.example' });
  rulesBetweenIdps([a, b, c], bad);
  t.same(problems, [
    {
      variable: 'IDP_ACQ_ALLOWED_EMAIL_DOMAINS',
      problem: '"one.example" is also allowed by ALLOWED_EMAIL_DOMAINS; a domain may belong to one IdP only',
    },
    {
      variable: 'IDP_THIRD_ALLOWED_EMAIL_DOMAINS',
      problem:
        "is required when OIDC_IDPS is set: each IdP needs its own email domains (never inherited from ALLOWED_EMAIL_DOMAINS), so that no IdP can sign in another IdP's users",
    },
    { variable: 'OIDC_IDPS', problem: 'two IdPs have the same issuer; launcher tiles could not tell them apart' },
  ]);
});

t.test("one IdP's problems are listed together, the default IdP's before the global rules'", async (t) => {
  try {
    parseConfig({
      ...TWO_IDP_BASE,
      REQUIRE_VERIFIED_EMAIL: 'true',
      ALLOW_UNVERIFIED_EMAIL: 'true',
      OIDC_CLIENT_SECRET: undefined,
      COMMBOX_LOGIN_URL: 'https://b.commbox.io/login?ta=1',
    });
    t.fail('refused');
  } catch (e) {
    t.ok(e instanceof ConfigError);
    t.same(
      (e as ConfigError).problems.map((p) => p.variable),
      ['OIDC_CLIENT_SECRET', 'REQUIRE_VERIFIED_EMAIL', 'COMMBOX_LOGIN_URL'],
    );
  }
});
