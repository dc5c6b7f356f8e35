/**
 * The one table, assembled from one file per section of docs/configuration.md:
 * each file holds its section's variables only, so each section is one run of
 * the table, in the order of the docs.
 */
import t from 'tap';
import { GLOBAL_VARIABLES, PER_IDP_VARIABLES, SECRET_VARIABLES, VARIABLES } from '../../src/config/table.js';
import type { Variable } from '../../src/config/variable.js';
import { ACCESS_RULE_VARIABLES } from '../../src/config/variables/access-rules.js';
import { COMMBOX_VARIABLES } from '../../src/config/variables/commbox.js';
import { CUSTOMER_CHAT_VARIABLES } from '../../src/config/variables/customer-chat.js';
import { CLAIM_MAPPING_VARIABLES } from '../../src/config/variables/mapping.js';
import { OPERATIONS_VARIABLES } from '../../src/config/variables/operations.js';
import { OUTBOUND_PROXY_VARIABLES } from '../../src/config/variables/outbound-proxy.js';
import { REDIS_VARIABLES } from '../../src/config/variables/redis.js';
import { REQUIRED_VARIABLES } from '../../src/config/variables/required.js';
import { SERVER_VARIABLES } from '../../src/config/variables/server.js';
import { SIGN_IN_VARIABLES } from '../../src/config/variables/sign-in.js';

const SECTIONS: [string, Record<string, Variable<unknown>>][] = [
  ['Required', REQUIRED_VARIABLES],
  ['Sign-in (per IdP)', SIGN_IN_VARIABLES],
  ['Access rules', ACCESS_RULE_VARIABLES],
  ['Claim mapping', CLAIM_MAPPING_VARIABLES],
  ['CommBox', COMMBOX_VARIABLES],
  ['Customer chat', CUSTOMER_CHAT_VARIABLES],
  ['Server', SERVER_VARIABLES],
  ['Outbound proxy', OUTBOUND_PROXY_VARIABLES],
  ['Several replicas (Redis)', REDIS_VARIABLES],
  ['Operations', OPERATIONS_VARIABLES],
];

t.test('each section file holds its own section, and the table is the sections in order', async (t) => {
  for (const [section, rows] of SECTIONS)
    t.same(
      [...new Set(Object.values(rows).map((v) => v.group))],
      [section],
      `${section}: its variables, and only them`,
    );
  t.same(
    Object.keys(VARIABLES),
    SECTIONS.flatMap(([, rows]) => Object.keys(rows)),
    'every variable once, section after section',
  );
});

t.test('the lists the walk and the docs use come from the table', async (t) => {
  const names = Object.keys(VARIABLES);
  t.same([...GLOBAL_VARIABLES, ...PER_IDP_VARIABLES].sort(), [...names].sort(), 'global or per IdP, each once');
  for (const n of PER_IDP_VARIABLES) t.ok(VARIABLES[n].idpSuffix, `${n} has its IDP_<NAME>_ suffix`);
  for (const n of GLOBAL_VARIABLES) t.equal(VARIABLES[n].idpSuffix, undefined, `${n} has none`);
  t.same(SECRET_VARIABLES, [
    'OIDC_CLIENT_SECRET',
    'COMMBOX_API_KEY',
    'COOKIE_SECRET',
    'REDIS_URL',
    'OTEL_EXPORTER_OTLP_HEADERS',
    'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  ]);
});
