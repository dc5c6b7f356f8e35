/**
 * `.env.example` and `docs/configuration.md`, generated from the variable table
 * (`npm run docs:config`); a test fails when the files in the repository differ.
 */
import { VARIABLES, type VariableName } from './table.js';
import type { Group } from './variable.js';
import { BRIDGE_PREFIXES } from './unknown.js';

const NAMES = Object.keys(VARIABLES) as VariableName[];
const GROUPS = [...new Set(NAMES.map((n) => VARIABLES[n].group))] as Group[];

/** Wraps text at about 88 columns behind `# `. */
function comment(text: string): string {
  const words = text.replace(/`/g, '').split(/\s+/);
  const lines: string[] = [];
  let line = '#';
  for (const w of words) {
    if (line.length + w.length + 1 > 88) {
      lines.push(line);
      line = '#';
    }
    line += ` ${w}`;
  }
  lines.push(line);
  return lines.join('\n');
}

/** The `.env.example` file. */
export function renderEnvExample(): string {
  const out: string[] = [
    '# commbox-sso-bridge configuration, generated from src/config/table.ts by',
    '# `npm run docs:config` (edit the table, not this file). Copy to .env, or set these in',
    '# the environment (the environment wins over .env). docs/configuration.md says more.',
  ];
  for (const group of GROUPS) {
    out.push('', `# --- ${group} ${'-'.repeat(Math.max(3, 80 - group.length))}`);
    for (const name of NAMES.filter((n) => VARIABLES[n].group === group)) {
      const v = VARIABLES[name];
      out.push(
        comment(
          `${v.doc}${typeof v.required === 'string' ? ` Required ${v.required}.` : ''}${v.secret ? ` Or ${name}_FILE: a file holding it.` : ''}`,
        ),
      );
      if (v.group === 'Required') out.push(`${name}=${v.example ?? ''}`);
      else out.push(`# ${name}=${v.example ?? (v.default !== undefined && !/[: ]/.test(v.default) ? v.default : '')}`);
    }
  }
  out.push(
    '',
    '# --- More IdPs (OIDC_IDPS=acquired) -------------------------------------------------',
    '# Each extra IdP NAME has its own IDP_<NAME>_* variables: see docs/configuration.md.',
    '# IDP_ACQUIRED_ISSUER=https://login.microsoftonline.com/<tenant-id>/v2.0',
    '# IDP_ACQUIRED_CLIENT_ID=',
    '# IDP_ACQUIRED_CLIENT_SECRET=',
    '# IDP_ACQUIRED_ALLOWED_EMAIL_DOMAINS=acquired.example',
    '# IDP_ACQUIRED_MAP_USERNAME=upn',
  );
  return `${out.join('\n')}\n`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The `docs/configuration.md` page. */
export function renderConfigurationDoc(): string {
  const out: string[] = [
    '# Configuration',
    '',
    '<!-- Generated from src/config/table.ts by `npm run docs:config`: edit the table, not this page. -->',
    '',
    'Environment variables, and a `.env` file in the working directory when there is one (the environment',
    'wins). Start-up with a bad configuration exits with code 1 and one message naming every bad or missing',
    'variable and why. `http://` URLs are accepted only for loopback hosts (`localhost`, `127.0.0.0/8`,',
    '`::1`), for local testing; everything else must be https. [`.env.example`](../.env.example) lists them all.',
    '',
    'Secrets (marked 🔒) can instead be read from a file named by `<NAME>_FILE` (Docker and Kubernetes',
    'secrets; a trailing newline is dropped). Setting both is a configuration error. Secret values are',
    'scrubbed from every log line.',
    '',
    "A misspelt variable stops the start-up too: every variable whose name begins like the bridge's own",
    `(${BRIDGE_PREFIXES.map((p) => `\`${p}\``).join(', ')}) must be one of the variables below,`,
    'and the message names the one it most likely meant (`ALLOWED_GROUP` → `ALLOWED_GROUPS`). Elsewhere, a',
    'near miss of a name of 8 characters or more is refused the same way (`ALOWED_GROUPS`, `COOKIESECRET`). Kubernetes',
    'service-link variables (`<SERVICE>_SERVICE_HOST`, `<SERVICE>_PORT=tcp://…`) are recognised and ignored;',
    'the shipped Deployment turns them off (`enableServiceLinks: false`).',
    '',
    '## Who may open CommBox',
    '',
    'The bridge does not start until each IdP says who may get a ticket: `ALLOWED_GROUPS`,',
    '`ALLOWED_EMAIL_DOMAINS` or `ALLOWED_HOSTED_DOMAINS` (any of them; all that are set apply), or',
    "`ALLOW_ANY_AUTHENTICATED=true`, which lets in everyone the IdP signs in. Use that only when the IdP's",
    'own app assignment already decides who may sign in to this client: Entra ID "Assignment required?" on',
    "the enterprise application, Okta app assignments, Keycloak client roles checked by the realm's",
    "authentication flow, Google's internal consent screen with an organisational unit. Start-up logs a",
    'warning and `check-config` prints one while it is on; beside a rule it changes nothing.',
  ];
  for (const group of GROUPS) {
    out.push(
      '',
      `## ${group}`,
      '',
      '| Variable | Required | Default | Per IdP | Meaning |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const name of NAMES.filter((n) => VARIABLES[n].group === group)) {
      const v = VARIABLES[name];
      const required = v.required === true ? 'yes' : (v.required ?? '');
      const perIdp =
        v.scope === 'global'
          ? ''
          : `\`IDP_<NAME>_${v.idpSuffix}\`${v.scope === 'idp' ? ', never inherited' : ', else inherited'}`;
      out.push(
        `| \`${name}\`${v.secret ? ' 🔒' : ''} | ${cell(required)} | ${cell(v.default ?? '')} | ${cell(perIdp)} | ${cell(v.doc)} |`,
      );
    }
  }
  out.push(
    '',
    '## Several IdPs',
    '',
    '`OIDC_IDPS=acquired,partner` adds IdPs beside the default one (the `OIDC_*` variables). Each extra IdP',
    '`<name>` (lower-case letters, digits, dashes; `<NAME>` is it upper-cased with `-` as `_`) is read from',
    'its own `IDP_<NAME>_*` variables, listed in the "Per IdP" column above: client settings and email',
    'domains are never inherited; rules and mapping are inherited from the default IdP unless set. Its',
    'login link is `/login/<name>`, its redirect URI `PUBLIC_URL/callback/<name>`.',
    '',
    'Each IdP is its own namespace of CommBox identities: with `OIDC_IDPS` set every IdP needs its own',
    "email domains, none shared; an extra IdP's usernames must be `name@domain` in its domains; an extra",
    "IdP never sends `phone1`, since a phone number has no domain that could keep it to that IdP's users",
    '(`IDP_<NAME>_MAP_PHONE` set is an error, `MAP_PHONE` is not inherited), so it must map an email;',
    'customer chat goes through the default IdP only. See [security](security.md).',
    '',
    '## Claim mappings',
    '',
    'A mapping is a dotted claim path with optional transforms applied left to right: `claim|transform|…`.',
    'Transforms: `lower`, `upper`, `trim`, `localpart` (before the last `@`), `domain` (after it). Examples:',
    '`MAP_USERNAME=email|lower`, `MAP_USERNAME=upn|lower`. CommBox needs `username` and, for agents, an',
    "email or phone that matches the agent's record.",
    '',
    'Two people must never become one CommBox user. `MAP_USERNAME=…|localpart` is accepted only when',
    '`ALLOWED_EMAIL_DOMAINS` lists exactly one domain (alice@one.example and alice@two.example would both be',
    '"alice"), and the address it was cut from must then be in that domain; `MAP_USERNAME=…|domain` is',
    'never accepted. Prefer the whole address.',
    '',
    '## Checking a configuration',
    '',
    '`npm run check-config` (in the image: `node dist/commbox-sso-bridge.mjs --check`) validates the',
    "configuration, performs discovery and a JWKS fetch for every IdP, proves each IdP's client credentials",
    '(a token request with a code the IdP never issued, then the same with a wrong credential as a control',
    'when the IdP refuses the code), prints what it found and exits 0 or 1 (2 for',
    'arguments it cannot use) without starting the server. `--ticket-for <username>` also asks CommBox for',
    'one ticket for that agent, never shown: see [Operations](operations.md).',
  );
  return `${out.join('\n')}\n`;
}
