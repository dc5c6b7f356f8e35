/**
 * Configuration: the environment into plain, parsed data. {@link parseConfig}
 * walks the variable table (`table.ts`, `walk.ts`) once for the bridge, and once
 * per extra IdP with its `IDP_<NAME>_` prefix, collects every problem, applies
 * the rules between variables on the parsed values (`idp-rules.ts`,
 * `global-rules.ts`), and throws one {@link ConfigError} naming each bad variable.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { bridgeConfig } from './bridge-config.js';
import type { Environment } from './environment.js';
import { globalRules } from './global-rules.js';
import { idpRules, rulesBetweenIdps, type WalkedIdp } from './idp-rules.js';
import type { BridgeConfig } from './settings.js';
import { secretFiles } from './secret-files.js';
import { GLOBAL_VARIABLES, PER_IDP_VARIABLES, VARIABLES } from './table.js';
import { idpPrefix, unknownVariables, type VariableProblem } from './unknown.js';
import { walkVariables, type NameOf } from './walk.js';

export type {
  BridgeConfig,
  IdpConfig,
  OidcSettings,
  ProxySettings,
  RedisSettings,
  SecretFile,
  SecretKind,
  TracingSettings,
} from './settings.js';
export { SECRET_VARIABLES } from './table.js';
export { processEnvironment, readEnvironment, type Environment } from './environment.js';
export { otelVariablesNotRead } from './otel-names.js';
export { problemsOf } from './secret-files.js';
export { idpPrefix } from './unknown.js';

/**
 * Validates the environment into a {@link BridgeConfig}. Throws a
 * {@link ConfigError} listing every bad or missing variable.
 */
export function parseConfig(
  environment: Environment,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): BridgeConfig {
  // Proxy variables as every HTTP client reads them: the lower-case form too.
  const env: Environment = {
    ...environment,
    HTTPS_PROXY: environment['HTTPS_PROXY'] ?? environment['https_proxy'],
    HTTP_PROXY: environment['HTTP_PROXY'] ?? environment['http_proxy'],
    NO_PROXY: environment['NO_PROXY'] ?? environment['no_proxy'],
  };
  const problems: VariableProblem[] = [];
  const bad = (variable: string, problem: string) => void problems.push({ variable, problem });
  const same: NameOf = (n) => n;
  const globals = walkVariables(env, GLOBAL_VARIABLES, same, problems, readFile);
  const allowUnverifiedEmail = globals.values.ALLOW_UNVERIFIED_EMAIL;
  const defaultIdp: WalkedIdp = {
    name: 'default',
    nameOf: same,
    ...walkVariables(env, PER_IDP_VARIABLES, same, problems, readFile),
  };
  idpRules(defaultIdp, allowUnverifiedEmail, bad);
  globalRules(globals, bad);

  // Several IdPs: each extra one is read from its own IDP_<NAME>_* variables by
  // the same walk; client settings and email domains are never inherited.
  const extras: WalkedIdp[] = [];
  for (const name of globals.values.OIDC_IDPS) {
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(name) || name === 'default') {
      bad('OIDC_IDPS', `"${name}" is not a name of lower-case letters, digits and dashes (and not "default")`);
      continue;
    }
    if (extras.some((e) => e.name === name)) {
      bad('OIDC_IDPS', `"${name}" is listed twice`);
      continue;
    }
    const prefix = idpPrefix(name);
    const nameOf: NameOf = (n) => `${prefix}${VARIABLES[n].idpSuffix}`;
    const extra: WalkedIdp = {
      name,
      nameOf,
      ...walkVariables(env, PER_IDP_VARIABLES, nameOf, problems, readFile, defaultIdp.values),
    };
    idpRules(extra, allowUnverifiedEmail, bad);
    extras.push(extra);
  }
  const idps = [defaultIdp, ...extras];
  if (extras.length > 0) rulesBetweenIdps(idps, bad);

  problems.push(
    ...unknownVariables(
      environment,
      extras.map((e) => e.name),
    ),
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...bridgeConfig(globals.values, idps),
    secretFiles: secretFiles(
      env,
      idps.map((i) => i.name),
    ),
  };
}

/** Every secret value of the configuration, for the log scrubber. */
export function secretValues(c: BridgeConfig): string[] {
  // The passwords in the proxy and Redis URLs, as written and decoded.
  const urlPasswords = [c.proxy?.httpProxy, c.proxy?.httpsProxy, c.redis?.url].flatMap((u) => {
    const password = u === undefined ? '' : new URL(u).password;
    return [password, safeDecode(password)];
  });
  return [
    ...c.idps.map((i) => i.oidc.clientSecret),
    c.commbox.apiKey,
    ...c.cookieSecrets,
    c.redis?.url ?? '',
    ...urlPasswords,
    ...Object.values(c.tracing?.headers ?? {}),
  ].filter((v) => v !== '');
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};
