/**
 * Every variable the bridge reads, one row each: its parser, default, whether it
 * is a secret (and may come from a `_FILE`), whether each IdP has its own, and
 * one line of documentation. The rows live in `variables/`, one file per section
 * of the docs; this is the one table they make, in the order the docs show them.
 * `parse.ts` walks it; `.env.example` and `docs/configuration.md` are generated
 * from it (`npm run docs:config`).
 */
import { ACCESS_RULE_VARIABLES } from './variables/access-rules.js';
import { COMMBOX_VARIABLES } from './variables/commbox.js';
import { CUSTOMER_CHAT_VARIABLES } from './variables/customer-chat.js';
import { CLAIM_MAPPING_VARIABLES } from './variables/mapping.js';
import { OPERATIONS_VARIABLES } from './variables/operations.js';
import { OUTBOUND_PROXY_VARIABLES } from './variables/outbound-proxy.js';
import { REDIS_VARIABLES } from './variables/redis.js';
import { REQUIRED_VARIABLES } from './variables/required.js';
import { SERVER_VARIABLES } from './variables/server.js';
import { SIGN_IN_VARIABLES } from './variables/sign-in.js';

// The route tests count against these defaults.
export { DEFAULT_FAILED_LOGINS, DEFAULT_RATE_LIMIT_MAX } from './variables/operations.js';

/** Every variable, in the order the docs show them. */
export const VARIABLES = {
  ...REQUIRED_VARIABLES,
  ...SIGN_IN_VARIABLES,
  ...ACCESS_RULE_VARIABLES,
  ...CLAIM_MAPPING_VARIABLES,
  ...COMMBOX_VARIABLES,
  ...CUSTOMER_CHAT_VARIABLES,
  ...SERVER_VARIABLES,
  ...OUTBOUND_PROXY_VARIABLES,
  ...REDIS_VARIABLES,
  ...OPERATIONS_VARIABLES,
} as const;

export type VariableName = keyof typeof VARIABLES;
/** The parsed value of each variable. */
export type Values = { -readonly [K in VariableName]: ReturnType<(typeof VARIABLES)[K]['parse']> };

const NAMES = Object.keys(VARIABLES) as VariableName[];

/** The names of the secret variables (each may also be given as `<NAME>_FILE`). */
export const SECRET_VARIABLES = NAMES.filter((n) => VARIABLES[n].secret === true);

/** The variables with one value for the whole bridge. */
export const GLOBAL_VARIABLES = NAMES.filter((n) => VARIABLES[n].scope === 'global');

/** The variables each IdP has its own of (`IDP_<NAME>_<suffix>` for an extra IdP). */
export const PER_IDP_VARIABLES = NAMES.filter((n) => VARIABLES[n].scope !== 'global');
