/**
 * `.env.example` and `docs/configuration.md`, generated from the variable table
 * (`npm run docs:config`); a test fails when the files in the repository differ.
 */
import { VARIABLES, type Group, type VariableName } from './table.js';

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
      out.push(comment(`${v.doc}${typeof v.required === 'string' ? ` Required ${v.required}.` : ''}${v.secret ? ` Or ${name}_FILE: a file holding it.` : ''}`));
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
  ];
  for (const group of GROUPS) {
    out.push('', `## ${group}`, '', '| Variable | Required | Default | Per IdP | Meaning |', '| --- | --- | --- | --- | --- |');
    for (const name of NAMES.filter((n) => VARIABLES[n].group === group)) {
      const v = VARIABLES[name];
      const required = v.required === true ? 'yes' : (v.required ?? '');
      const perIdp = v.scope === 'global' ? '' : `\`IDP_<NAME>_${v.idpSuffix}\`${v.scope === 'idp' ? ', never inherited' : ', else inherited'}`;
      out.push(`| \`${name}\`${v.secret ? ' 🔒' : ''} | ${cell(required)} | ${cell(v.default ?? '')} | ${cell(perIdp)} | ${cell(v.doc)} |`);
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
    "email domains, none shared; an extra IdP's usernames must be `name@domain` in its domains; customer",
    'chat goes through the default IdP only. See [security](security.md).',
    '',
    '## Claim mappings',
    '',
    'A mapping is a dotted claim path with optional transforms applied left to right: `claim|transform|…`.',
    'Transforms: `lower`, `upper`, `trim`, `localpart` (before the last `@`), `domain` (after it). Examples:',
    '`MAP_USERNAME=email|localpart|lower`, `MAP_USERNAME=upn|lower`. CommBox needs `username` and, for',
    "agents, an email or phone that matches the agent's record.",
    '',
    '## Checking a configuration',
    '',
    '`npm run check-config` (in the image: `node dist/commbox-sso-bridge.mjs --check`) validates the',
    'configuration, performs discovery and a JWKS fetch for every IdP, prints what it found and exits 0 or 1',
    'without starting the server.',
  );
  return `${out.join('\n')}\n`;
}
