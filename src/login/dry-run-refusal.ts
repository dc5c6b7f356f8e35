/**
 * What `DRY_RUN` shows of a login refused after its claims were read: the rule
 * that refused in the configuration's terms, what that rule saw, and the names
 * of the claims with their sources, so that an operator never has to blank a
 * rule to see the claims. It is for the refusal page only (HTML or JSON) and is
 * never logged: the values are the signed-in person's own claims, each cut to a
 * bounded length and count here, and escaped when the page renders them.
 */
import { ENTRA_GROUPS_CLAIM_LIMIT, missingRequiredClaims } from '../claims/access.js';
import { applyMapping, getClaim, type Claims } from '../claims/mapping.js';
import { CHAT_PREFIX } from '../commbox/chat.js';
import type { ClaimMapping } from '../config/claim-mapping.js';
import { escapedValue } from '../config/shown-values.js';
import { idpPrefix } from '../config/unknown.js';
import { Reasons, type BridgeError, type Reason } from '../errors.js';
import type { VerifiedLogin } from '../oidc/client.js';
import { identityMapping, loginKind, type CommboxSettings, type IdpSettings } from './decide.js';
import { claimNamesWithSources, claimSource, cut } from './preview.js';

/** A DRY_RUN login's refusal as the operator's page shows it. */
export interface DryRunRefusal {
  readonly idp: string;
  /** The rule that refused, in the configuration's terms (e.g. `ALLOWED_GROUPS`). */
  readonly rule: string;
  /** The refusal's reason code and the detail its log line carries. */
  readonly reason: Reason;
  readonly detail: string | undefined;
  /** What the rule saw, a line each (e.g. `groups: none, from userinfo; allowed: commbox-agents`). */
  readonly saw: readonly string[];
  /** Where the claims were read, in order (the ID token, then the access token, userinfo, Microsoft Graph). */
  readonly sources: readonly string[];
  /** Names of the claims received, each with its source. */
  readonly claimNames: readonly string[];
}

/** Where a refusal happened: userinfo failed and a claim is still missing, the groups overage, or the decision. */
export type RefusalStep = 'userinfo' | 'groups_overage' | 'decision';

/** A refusal thrown at `step` of a login at `idp` whose claims (completed from every source) are `claims`. */
export interface RefusedLogin {
  readonly refusal: BridgeError;
  readonly step: RefusalStep;
  readonly idp: IdpSettings;
  readonly commbox: CommboxSettings;
  readonly login: VerifiedLogin;
  readonly claims: Claims;
  readonly target: string | undefined;
}

/** The most items of a list shown; the others are counted. */
export const SHOWN_LIST_ITEMS = 20;
/** The longest refusal detail shown (claim_missing's names every claim present). */
export const SHOWN_DETAIL_CHARS = 500;

/** A string claim as the page shows it: quoted as JSON, its direction and control characters escaped (`\u202E`). */
const quoted = (value: string) => cut(escapedValue(JSON.stringify(value)));

/**
 * A claim value as the page shows it: strings quoted, lists bounded, objects by
 * kind only. Escaped, not replaced: the operator wants to see what the claim held.
 */
function show(value: unknown): string {
  if (value === undefined) return 'absent';
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none (an empty list)';
    const items = value.slice(0, SHOWN_LIST_ITEMS).map((v) => (typeof v === 'string' ? quoted(v) : show(v)));
    const more = value.length - items.length;
    return items.join(', ') + (more > 0 ? `, and ${more} more (${value.length} in all)` : '');
  }
  return 'an object';
}

/** Where the claim at `path` came from: the first source that had it, as the claims were merged. */
function sourceOf(login: VerifiedLogin, claims: Claims, path: readonly string[]): string | undefined {
  const whole = path.join('.');
  const name = Object.prototype.hasOwnProperty.call(claims, whole) ? whole : path[0]!;
  if (!Object.prototype.hasOwnProperty.call(claims, name)) return undefined;
  return claimSource(login, name);
}

/** The sources a login's claims were read from. */
function sourcesRead(login: VerifiedLogin, claims: Claims): string[] {
  const out = ['id token'];
  if (login.accessTokenPayload !== undefined) out.push('access token');
  if (login.userinfoClaims !== undefined) out.push('userinfo');
  else if (login.userinfoError !== undefined) out.push('userinfo (failed)');
  if (Object.keys(claims).some((k) => claimSource(login, k) === 'Microsoft Graph')) out.push('Microsoft Graph');
  return out;
}

/** The claim at `path` and where it came from (`groups: "a", "b", from userinfo`), or every source it is absent from. */
function claimLine(login: VerifiedLogin, claims: Claims, path: readonly string[]): string {
  const value = getClaim(claims, path);
  const source = sourceOf(login, claims, path);
  if (value === undefined) return `${path.join('.')}: none, absent from ${sourcesRead(login, claims).join(' and ')}`;
  return `${path.join('.')}: ${show(value)}${source === undefined ? '' : `, from ${source}`}`;
}

/** What a mapping gives: `MAP_EMAIL=mail: "a@b" (claim mail from id token)`, or that it maps to nothing. */
function mappingLine(login: VerifiedLogin, claims: Claims, variable: string, mapping: ClaimMapping): string {
  const value = applyMapping(claims, mapping);
  const claim = claimLine(login, claims, mapping.path);
  return `${variable}=${cut(mapping.source)}: ${value === undefined ? 'maps to nothing' : show(value)} (claim ${claim})`;
}

/** An IdP's variable: `MAP_EMAIL` for the default IdP, `IDP_<NAME>_MAP_EMAIL` for an extra one. */
const variableOf = (idp: IdpSettings, suffix: string) =>
  idp.name === 'default' ? suffix : `${idpPrefix(idp.name)}${suffix}`;

const list = (values: readonly string[]) => (values.length === 0 ? 'none' : values.map((v) => cut(v)).join(', '));

/** What a refusal's rule is and what it saw; the others (bad request, not found) name their reason. */
function ruleAndSaw({ refusal, step, idp, commbox, login, claims, target }: RefusedLogin): {
  rule: string;
  saw: string[];
} {
  const rules = idp.access;
  const mapping = identityMapping(idp);
  const v = (suffix: string) => variableOf(idp, suffix);
  if (step === 'userinfo') {
    const missing = missingRequiredClaims(claims, mapping, rules, loginKind(target));
    return {
      rule: 'the claims a login cannot do without, when userinfo failed',
      saw: [
        `missing: ${list(missing)}`,
        `userinfo failed: ${refusal.reason}${refusal.check ? ` (${refusal.check})` : ''}`,
      ],
    };
  }
  const groups = claimLine(login, claims, rules.groupsClaim);
  switch (refusal.reason) {
    case Reasons.noAccessRule:
      return {
        rule: `${v('ALLOWED_GROUPS')}, ${v('ALLOWED_EMAIL_DOMAINS')}, ${v('ALLOWED_HOSTED_DOMAINS')} or ${v('ALLOW_ANY_AUTHENTICATED')}=true`,
        saw: ['no access rule is set, and ALLOW_ANY_AUTHENTICATED is not true'],
      };
    case Reasons.emailUnverified:
      return {
        rule: rules.requireVerifiedEmail ? `email_verified (${v('REQUIRE_VERIFIED_EMAIL')}=true)` : 'email_verified',
        saw: [claimLine(login, claims, ['email_verified'])],
      };
    case Reasons.groupNotAllowed:
      return { rule: v('ALLOWED_GROUPS'), saw: [`${groups}; allowed: ${list(rules.allowedGroups)}`] };
    case Reasons.hostedDomainNotAllowed:
      return {
        rule: v('ALLOWED_HOSTED_DOMAINS'),
        saw: [`hd of the ID token: ${show(login.idTokenClaims['hd'])}; allowed: ${list(rules.allowedHostedDomains)}`],
      };
    case Reasons.groupsOverage:
      return {
        rule: `${v('GROUPS_OVERAGE')}=${rules.groupsOverage}`,
        saw: [
          `${groups}; the ID token names it in _claim_names (more than ${ENTRA_GROUPS_CLAIM_LIMIT} groups)`,
          `allowed: ${list(rules.allowedGroups)}`,
        ],
      };
    case Reasons.claimMissing:
    case Reasons.emailDomainNotAllowed:
    case Reasons.usernameWithoutDomain: {
      const chat = loginKind(target) === 'chat';
      const line = (suffix: string, m: ClaimMapping | undefined) =>
        m === undefined ? [] : [mappingLine(login, claims, v(suffix), m)];
      const lines = [
        ...(chat ? line('MAP_UNIQUE_ID', mapping.uniqueId) : line('MAP_USERNAME', mapping.username)),
        ...line('MAP_EMAIL', mapping.email),
        ...line('MAP_PHONE', mapping.phone),
      ];
      if (refusal.reason === Reasons.claimMissing) {
        const noUsername = !chat && applyMapping(claims, mapping.username) === undefined;
        const rule = chat
          ? v('MAP_UNIQUE_ID')
          : noUsername
            ? v('MAP_USERNAME')
            : `${v('MAP_EMAIL')} or ${v('MAP_PHONE')}`;
        return { rule, saw: lines };
      }
      if (refusal.reason === Reasons.usernameWithoutDomain)
        return { rule: `an extra IdP's username is name@domain`, saw: lines.slice(0, 1) };
      return {
        rule: v('ALLOWED_EMAIL_DOMAINS'),
        saw: [...lines, `allowed: ${list(rules.allowedEmailDomains)}`],
      };
    }
    case Reasons.chatChannelNotAllowed:
      return {
        rule: 'COMMBOX_CHAT_CHANNELS',
        // A list, never `*`: any channel is never refused.
        saw: [`channel: ${show(target?.slice(CHAT_PREFIX.length))}`, `allowed: ${list(commbox.chatChannels)}`],
      };
    case Reasons.initiateBadTarget:
      return {
        rule: 'customer chat access goes through the default IdP only',
        saw: [`IdP: ${idp.name}`, `target: ${show(target)}`],
      };
    default:
      return { rule: refusal.reason, saw: [] };
  }
}

/** The operator's view of a refused login. */
export function dryRunRefusal(refused: RefusedLogin): DryRunRefusal {
  const { refusal, idp, login, claims } = refused;
  return {
    idp: idp.name,
    reason: refusal.reason,
    // The log line's detail, which may name claims and values: escaped like them, and bounded.
    detail: refusal.detail === undefined ? undefined : cut(escapedValue(refusal.detail), SHOWN_DETAIL_CHARS),
    ...ruleAndSaw(refused),
    sources: sourcesRead(login, claims),
    claimNames: claimNamesWithSources(login, claims),
  };
}
