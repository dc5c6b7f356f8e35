/**
 * The secrets read from files (`<NAME>_FILE`, and the client key and certificate
 * of `private_key_jwt`), so that they can be read again while the bridge runs: the
 * configuration is then parsed again with the new contents (the same parsers and
 * rules as at start-up judge a new value), and each problem is laid at the file
 * whose variables it names.
 */
import type { Environment } from './environment.js';
import type { SecretFile, SecretKind } from './settings.js';
import type { VariableName } from './table.js';
import { idpVariableName } from './unknown.js';

const GLOBAL: readonly [VariableName, SecretKind][] = [
  ['COMMBOX_API_KEY', 'commboxApiKey'],
  ['COOKIE_SECRET', 'cookieSecret'],
  ['REDIS_URL', 'redisUrl'],
];

/** The secret files `environment` names for `config`'s IdPs, in a stable order. */
export function secretFiles(environment: Environment, idps: readonly string[]): SecretFile[] {
  const files: SecretFile[] = [];
  const add = (variable: string, kind: SecretKind, judgedBy: string[], idp?: string) => {
    const path = environment[variable]?.trim();
    if (path) files.push({ variable, path, kind, idp, judgedBy });
  };
  for (const [name, kind] of GLOBAL) add(`${name}_FILE`, kind, [name, `${name}_FILE`]);
  for (const name of idps) {
    const nameOf = (n: VariableName) => idpVariableName(name, n);
    const secret = nameOf('OIDC_CLIENT_SECRET');
    add(`${secret}_FILE`, 'clientSecret', [secret, `${secret}_FILE`], name);
    const pair = [
      nameOf('OIDC_CLIENT_PRIVATE_KEY_FILE'),
      nameOf('OIDC_CLIENT_CERTIFICATE_FILE'),
      nameOf('OIDC_CLIENT_PRIVATE_KEY_KID'),
    ];
    add(pair[0]!, 'clientKey', pair, name);
    add(pair[1]!, 'clientCertificate', pair, name);
  }
  return files;
}

/** The problems of `problems` that refuse `file`'s content. */
export function problemsOf<P extends { readonly variable: string }>(file: SecretFile, problems: readonly P[]): P[] {
  return problems.filter((p) => file.judgedBy.includes(p.variable));
}
