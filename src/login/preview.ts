/**
 * What `DRY_RUN` shows of a login that passed every check, instead of
 * requesting its ticket: the login layer says what, the pages render it.
 */
import { describePassedRules } from '../claims/access.js';
import type { Claims } from '../claims/mapping.js';
import { escapedValue } from '../config/shown-values.js';
import type { VerifiedLogin } from '../oidc/client.js';
import type { IdpSettings, LoginDecision } from './decide.js';

/** What DRY_RUN shows instead of sending the browser to CommBox. */
export interface DryRunPreview {
  readonly idp: string;
  /** Where the browser would go, without the ticket. */
  readonly destination: string;
  /** The ticket request's `data`, as it would be sent (the API key is a header, never here). */
  readonly ticketRequest: Readonly<Record<string, unknown>>;
  readonly rulesPassed: readonly string[];
  /** Names of the claims received, and where each came from. */
  readonly claimNames: readonly string[];
}

/** The preview of a login decided at `idp` on `claims` (those of `login`, completed). */
export function dryRunPreview(
  idp: IdpSettings,
  decision: LoginDecision,
  login: VerifiedLogin,
  claims: Claims,
): DryRunPreview {
  return {
    idp: idp.name,
    destination: decision.destination,
    ticketRequest: { ...decision.data },
    // A rule's line may quote a claim (hd, email_verified): its direction and control characters escaped.
    rulesPassed: describePassedRules(claims, login.idTokenClaims, idp.access).map(escapedValue),
    claimNames: claimNamesWithSources(login, claims),
  };
}

/** The longest claim value or name shown, and the most claim names listed: longer ones are cut and say so. */
export const SHOWN_VALUE_CHARS = 100;
export const SHOWN_CLAIM_NAMES = 100;

/** `value` cut to `max` characters, saying how long it was. */
export function cut(value: string, max = SHOWN_VALUE_CHARS): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}

/**
 * The names of `claims`, sorted, each with its source; bounded in length and
 * count, direction and control characters escaped (`\u202E`): an IdP chooses them.
 */
export function claimNamesWithSources(login: VerifiedLogin, claims: Claims): string[] {
  const names = Object.keys(claims).sort();
  const shown = names.slice(0, SHOWN_CLAIM_NAMES).map((k) => `${cut(escapedValue(k))} (${claimSource(login, k)})`);
  if (names.length > shown.length) shown.push(`and ${names.length - shown.length} more`);
  return shown;
}

/** Where claim `name` of a login came from: the first source that had it (the overage's groups: Graph). */
export function claimSource(login: VerifiedLogin, name: string): string {
  const has = (c: Claims | undefined) => c !== undefined && Object.prototype.hasOwnProperty.call(c, name);
  if (has(login.idTokenClaims)) return 'id token';
  if (has(login.accessTokenPayload)) return 'access token';
  if (has(login.userinfoClaims)) return 'userinfo';
  return 'Microsoft Graph';
}
