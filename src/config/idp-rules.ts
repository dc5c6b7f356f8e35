/**
 * The rules between an IdP's variables, run for every IdP alike (the default one
 * and each of `OIDC_IDPS`), and the rules between IdPs. They work on what the
 * walk returned (`walk.ts`), and name each problem as that IdP's variable
 * (`IDP_<NAME>_…` for an extra IdP).
 */
import type { NameOf, Walked } from './walk.js';

/** One IdP as walked: its name, where its variables are read from, and what the walk found. */
export interface WalkedIdp extends Walked {
  /** `default` for the OIDC_* IdP; else the name listed in OIDC_IDPS. */
  readonly name: string;
  readonly nameOf: NameOf;
}

type Report = (variable: string, problem: string) => void;

/**
 * The rules of one IdP. `allowUnverifiedEmail` is the bridge's
 * `ALLOW_UNVERIFIED_EMAIL`, which no IdP's `REQUIRE_VERIFIED_EMAIL` may contradict.
 */
export function idpRules(idp: WalkedIdp, allowUnverifiedEmail: boolean, bad: Report): void {
  const { values: v, given, nameOf } = idp;
  const extra = idp.name !== 'default';
  if (v.OIDC_CLIENT_AUTH === 'private_key_jwt') {
    if (!given.has('OIDC_CLIENT_PRIVATE_KEY_FILE'))
      bad(nameOf('OIDC_CLIENT_PRIVATE_KEY_FILE'), `is required with ${nameOf('OIDC_CLIENT_AUTH')}=private_key_jwt`);
    else if (
      v.OIDC_CLIENT_PRIVATE_KEY_FILE !== undefined &&
      v.OIDC_CLIENT_PRIVATE_KEY_KID === undefined &&
      v.OIDC_CLIENT_PRIVATE_KEY_FILE.kid === undefined &&
      !given.has('OIDC_CLIENT_CERTIFICATE_FILE')
    ) {
      bad(
        nameOf('OIDC_CLIENT_PRIVATE_KEY_KID'),
        `is required with private_key_jwt unless the JWK has a "kid" or ${nameOf('OIDC_CLIENT_CERTIFICATE_FILE')} is set`,
      );
    }
    if (v.OIDC_CLIENT_CERTIFICATE_FILE !== undefined && v.OIDC_CLIENT_PRIVATE_KEY_FILE !== undefined) {
      if (!v.OIDC_CLIENT_CERTIFICATE_FILE.certificate.checkPrivateKey(v.OIDC_CLIENT_PRIVATE_KEY_FILE.key))
        bad(
          nameOf('OIDC_CLIENT_CERTIFICATE_FILE'),
          `is not the certificate of the key in ${nameOf('OIDC_CLIENT_PRIVATE_KEY_FILE')}`,
        );
    }
    if (v.OIDC_CLIENT_SECRET !== undefined)
      bad(
        nameOf('OIDC_CLIENT_SECRET'),
        `is set, but ${nameOf('OIDC_CLIENT_AUTH')}=private_key_jwt does not use it; remove it`,
      );
  } else if (given.has('OIDC_CLIENT_CERTIFICATE_FILE')) {
    bad(nameOf('OIDC_CLIENT_CERTIFICATE_FILE'), `is used only with ${nameOf('OIDC_CLIENT_AUTH')}=private_key_jwt`);
  }
  // A _FILE named but empty or unreadable: the walk has said so already.
  if (
    v.OIDC_CLIENT_AUTH !== 'private_key_jwt' &&
    v.OIDC_CLIENT_SECRET === undefined &&
    !given.has('OIDC_CLIENT_SECRET')
  ) {
    bad(nameOf('OIDC_CLIENT_SECRET'), `is required (or ${nameOf('OIDC_CLIENT_SECRET')}_FILE)`);
  }
  if (v.MAP_EMAIL === undefined && v.MAP_PHONE === undefined)
    bad(
      nameOf('MAP_EMAIL'),
      `and ${nameOf('MAP_PHONE')} are both empty: CommBox needs email or phone to identify an agent`,
    );
  const ruled =
    v.ALLOWED_GROUPS.length > 0 || v.ALLOWED_EMAIL_DOMAINS.length > 0 || v.ALLOWED_HOSTED_DOMAINS.length > 0;
  if (!ruled && !v.ALLOW_ANY_AUTHENTICATED) {
    bad(
      nameOf('ALLOW_ANY_AUTHENTICATED'),
      `is not true and no access rule is set, so everyone the IdP signs in would get a CommBox ticket: set ${nameOf('ALLOWED_GROUPS')} (e.g. commbox-agents), ${nameOf('ALLOWED_EMAIL_DOMAINS')} or ${nameOf('ALLOWED_HOSTED_DOMAINS')}; or, when the IdP's own app assignment decides who may sign in, ${nameOf('ALLOW_ANY_AUTHENTICATED')}=true`,
    );
  }
  // Two people must never become one CommBox user: a username without the
  // domain is unique only while exactly one email domain is allowed.
  const dropped = v.MAP_USERNAME?.transforms.find((t) => t === 'localpart' || t === 'domain');
  if (dropped !== undefined && extra) {
    bad(
      nameOf('MAP_USERNAME'),
      `"${v.MAP_USERNAME!.source}" can never give a name@domain; an extra IdP's usernames must carry one of its own domains`,
    );
  } else if (dropped === 'domain') {
    bad(
      nameOf('MAP_USERNAME'),
      `"${v.MAP_USERNAME!.source}" maps every user of a domain to the same username; map the whole email (e.g. email|lower)`,
    );
  } else if (dropped === 'localpart' && v.ALLOWED_EMAIL_DOMAINS.length !== 1) {
    bad(
      nameOf('MAP_USERNAME'),
      `"${v.MAP_USERNAME!.source}" drops the domain while ${v.ALLOWED_EMAIL_DOMAINS.length === 0 ? 'any email domain is allowed' : `${nameOf('ALLOWED_EMAIL_DOMAINS')} allows ${v.ALLOWED_EMAIL_DOMAINS.length} domains`}: alice@one.example and alice@two.example would both become the CommBox user "alice". Map the whole email (e.g. email|lower), or allow exactly one domain`,
    );
  }
  if (allowUnverifiedEmail && v.REQUIRE_VERIFIED_EMAIL)
    bad(nameOf('REQUIRE_VERIFIED_EMAIL'), 'and ALLOW_UNVERIFIED_EMAIL are both true; choose one');
  // An extra IdP never sends phone1: a phone number has no domain to keep it to
  // this IdP's own users, so it could name another IdP's agent. Set, refused;
  // inherited from MAP_PHONE, dropped (`bridge-config.ts`).
  if (extra && given.has('MAP_PHONE')) {
    bad(
      nameOf('MAP_PHONE'),
      "is set, but an extra IdP never sends phone1 (a phone number has no domain, so it could name another IdP's agent); remove it",
    );
  } else if (extra && v.MAP_EMAIL === undefined && v.MAP_PHONE !== undefined) {
    bad(nameOf('MAP_EMAIL'), 'is empty, but an extra IdP identifies its agents by email: it never sends phone1');
  }
}

/**
 * The rules between IdPs, when there are several (`idps`: the default one first).
 * Each IdP is its own namespace of CommBox identities: its own email domains,
 * none shared, so a user of one IdP can never be given another IdP's user.
 */
export function rulesBetweenIdps(idps: readonly WalkedIdp[], bad: Report): void {
  const owner = new Map<string, string>();
  for (const idp of idps) {
    const variable = idp.nameOf('ALLOWED_EMAIL_DOMAINS');
    const domains = idp.values.ALLOWED_EMAIL_DOMAINS;
    const what = idp.name === 'default' ? "the default IdP's" : 'never inherited from ALLOWED_EMAIL_DOMAINS';
    if (domains.length === 0)
      bad(
        variable,
        `is required when OIDC_IDPS is set: each IdP needs its own email domains (${what}), so that no IdP can sign in another IdP's users`,
      );
    for (const domain of domains) {
      const first = owner.get(domain);
      if (first !== undefined && first !== variable)
        bad(variable, `"${domain}" is also allowed by ${first}; a domain may belong to one IdP only`);
      else owner.set(domain, variable);
    }
  }
  const issuers = idps.map((i) => i.values.OIDC_ISSUER);
  if (new Set(issuers).size !== issuers.length)
    bad('OIDC_IDPS', 'two IdPs have the same issuer; launcher tiles could not tell them apart');
}
