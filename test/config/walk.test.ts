/**
 * The walk of the variable table: what it parsed, and which variables the
 * environment set (the rules between variables read that, never the environment).
 */
import t from 'tap';
import { PER_IDP_VARIABLES, VARIABLES } from '../../src/config/table.js';
import type { VariableProblem } from '../../src/config/unknown.js';
import { walkVariables, type NameOf } from '../../src/config/walk.js';

const readFile = (path: string) => {
  if (path === '/s/secret') return 'from-file\n';
  if (path === '/s/empty') return '\n';
  throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
};
const same: NameOf = (n) => n;

t.test('a variable is given when it has a value or a _FILE, even one that cannot be used', async (t) => {
  const problems: VariableProblem[] = [];
  const walked = walkVariables(
    {
      OIDC_ISSUER: 'https://idp.example.com',
      OIDC_CLIENT_ID: '   ',
      OIDC_CLIENT_SECRET_FILE: '/s/missing',
      OIDC_CLIENT_CERTIFICATE_FILE: '/k/missing.pem',
      MAP_EMAIL: '',
      MAP_PHONE: 'x..y',
    },
    ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_CLIENT_CERTIFICATE_FILE', 'MAP_EMAIL', 'MAP_PHONE'],
    same,
    problems,
    readFile,
  );
  t.same(
    [...walked.given],
    ['OIDC_ISSUER', 'OIDC_CLIENT_SECRET', 'OIDC_CLIENT_CERTIFICATE_FILE', 'MAP_PHONE'],
    'blank and empty values are not given; a _FILE that cannot be read, a file that cannot be read and a bad value are',
  );
  t.equal(walked.values.OIDC_CLIENT_SECRET, undefined);
  t.equal(walked.values.OIDC_CLIENT_CERTIFICATE_FILE, undefined);
  t.equal(walked.values.MAP_PHONE, undefined);
  t.equal(walked.values.MAP_EMAIL, undefined, 'empty: the field is off');
  t.same(
    problems.map((p) => p.variable),
    ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET_FILE', 'OIDC_CLIENT_CERTIFICATE_FILE', 'MAP_PHONE'],
    'each unusable one reported once, under the name it was read as',
  );
});

t.test("a secret's _FILE is read, and an empty one reported", async (t) => {
  const problems: VariableProblem[] = [];
  const walked = walkVariables(
    { OIDC_CLIENT_SECRET_FILE: '/s/secret', COMMBOX_API_KEY_FILE: '/s/empty' },
    ['OIDC_CLIENT_SECRET', 'COMMBOX_API_KEY'],
    same,
    problems,
    readFile,
  );
  t.equal(walked.values.OIDC_CLIENT_SECRET, 'from-file', 'the trailing newline dropped');
  t.same([...walked.given], ['OIDC_CLIENT_SECRET', 'COMMBOX_API_KEY']);
  t.same(problems, [{ variable: 'COMMBOX_API_KEY_FILE', problem: 'the file /s/empty is empty' }]);
});

t.test("an extra IdP's walk: its own names, inherited values that it did not give", async (t) => {
  const base = walkVariables(
    { MAP_USERNAME: 'email|lower', OIDC_PROMPT: 'login', OIDC_SCOPES: 'openid groups' },
    PER_IDP_VARIABLES,
    same,
    [],
    readFile,
  ).values;
  const problems: VariableProblem[] = [];
  const nameOf: NameOf = (n) => `IDP_ACQ_${VARIABLES[n].idpSuffix!}`;
  const walked = walkVariables(
    { IDP_ACQ_PROMPT: 'select_account', OIDC_SCOPES: 'openid', IDP_ACQ_MAX_AGE: 'soon' },
    PER_IDP_VARIABLES,
    nameOf,
    problems,
    readFile,
    base,
  );
  t.equal(walked.values.MAP_USERNAME?.source, 'email|lower', 'inherited');
  t.equal(walked.values.OIDC_PROMPT, 'select_account', 'its own');
  t.equal(walked.values.OIDC_SCOPES, 'openid email profile', 'never inherited, and OIDC_SCOPES is not its name');
  t.same([...walked.given], ['OIDC_PROMPT', 'OIDC_MAX_AGE'], 'given: only what it set itself, by table name');
  t.same(
    problems.map((p) => p.variable),
    ['IDP_ACQ_ISSUER', 'IDP_ACQ_CLIENT_ID', 'IDP_ACQ_MAX_AGE'],
    'each problem under its own name: the required ones it did not set, the bad value',
  );
});
