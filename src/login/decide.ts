/**
 * The decision at the end of a login, with nothing but its inputs: given the
 * verified claims, the IdP's rules and mapping, the CommBox settings and where
 * the login was going, the ticket request and where to send the browser, or the
 * refusal. No I/O, no clock, no logger: the callback (`complete.ts`) gathers the
 * claims and acts on the answer.
 */
import {
  evaluateAccess,
  evaluateHostedDomain,
  evaluateIdentity,
  missingRequiredClaims,
  type AccessRule,
} from '../claims/access.js';
import {
  applyMapping,
  mapAgentIdentity,
  mapChatIdentity,
  valueBeforeLocalpart,
  type Claims,
} from '../claims/mapping.js';
import { isChatPath, resolveChatChannel } from '../commbox/chat.js';
import type { TicketData } from '../commbox/client.js';
import type { BridgeConfig, IdpConfig } from '../config/parse.js';
import type { IdentityMapping } from '../config/settings.js';
import { shownValue } from '../config/shown-values.js';
import { BridgeError, Reasons, type UserDetail } from '../errors.js';

/** What the decision reads of an IdP: its name, its access rules, its identity mapping. */
export type IdpSettings = Pick<IdpConfig, 'name' | 'access' | 'mapping'>;

/** The CommBox settings: the brand, the agents' login URL, customer chat access. */
export type CommboxSettings = BridgeConfig['commbox'];

/** What is known of a verified sign-in when the bridge decides. */
export interface VerifiedClaims {
  /** Every claim read: the ID token's, completed from the access token, userinfo and Microsoft Graph. */
  readonly claims: Claims;
  /** The ID token's own claims (`hd` is read there only). */
  readonly idTokenClaims: Claims;
  /** Where the login was going (the transaction's target): a path of this bridge; undefined: `/login`. */
  readonly target: string | undefined;
}

/** A login the bridge lets into CommBox. */
export interface LoginDecision {
  /** The ticket request's `data`. */
  readonly data: TicketData;
  /** Where the browser goes with its ticket: CommBox's login URL, or the chat channel's URL. */
  readonly destination: string;
  /** The agent's username; undefined for a chat customer. */
  readonly username: string | undefined;
  readonly email: string | undefined;
  /** The chat channel, exactly as given; undefined for an agent. */
  readonly channel: string | undefined;
}

/** What a login with `target` leads to: an agent into CommBox, or a customer into a chat channel. */
export function loginKind(target: string | undefined): 'agent' | 'chat' {
  return target !== undefined && isChatPath(target) ? 'chat' : 'agent';
}

/**
 * The mapping of `idp`'s identities. An extra IdP never sends phone1: a phone
 * number has no domain to keep it to that IdP's own users. The configuration
 * refuses or drops a phone mapping of an extra IdP; this holds even if one got
 * through.
 */
export function identityMapping(idp: IdpSettings): IdentityMapping {
  return idp.name === 'default' ? idp.mapping : { ...idp.mapping, phone: undefined };
}

/**
 * Userinfo failed (not for another `sub`, which always refuses): throws that
 * failure, naming what is still missing, when a claim the login cannot do
 * without is missing; otherwise returns, and the login goes on without it
 * (optional fields missing are left out of the ticket).
 */
export function checkUserinfoFailure(
  claims: Claims,
  failure: BridgeError,
  idp: IdpSettings,
  target: string | undefined,
): void {
  const missing = missingRequiredClaims(claims, identityMapping(idp), idp.access, loginKind(target));
  if (missing.length > 0) {
    throw new BridgeError(failure.reason, {
      check: failure.check,
      detail: `${failure.detail ?? failure.reason}; still missing without it: ${missing.join(', ')}`,
      cause: failure.cause,
    });
  }
}

/** The longest address RFC 5321 lets through (a path of 256 octets, less its angle brackets). */
export const EMAIL_MAX_LENGTH = 254;

/**
 * The rules that refuse a person the IdP did sign in, on who they are: the
 * usual cause is the wrong account (a personal one, another company's), so the
 * page says which account was used. Not `no_access_rule` (nobody is let in,
 * whatever the account).
 */
const WRONG_ACCOUNT_RULES: ReadonlySet<AccessRule> = new Set<AccessRule>([
  Reasons.emailUnverified,
  Reasons.groupNotAllowed,
  Reasons.emailDomainNotAllowed,
  Reasons.usernameWithoutDomain,
  Reasons.hostedDomainNotAllowed,
]);

/**
 * The account a refused person signed in with, for their page
 * (`detail.signed_in_as`): the mapped email (MAP_EMAIL), only when it looks
 * like an address (one `@`, something either side), never another claim. At
 * most {@link EMAIL_MAX_LENGTH} characters, a longer one cut with an ellipsis;
 * control and direction characters shown as U+FFFD (config/shown-values.ts). Undefined when no email is mapped.
 */
export function signedInAs(claims: Claims, idp: IdpSettings): UserDetail | undefined {
  const mapping = identityMapping(idp).email;
  const email = mapping === undefined ? undefined : applyMapping(claims, mapping);
  if (email === undefined) return undefined;
  const at = email.indexOf('@');
  if (at < 1 || at !== email.lastIndexOf('@') || at === email.length - 1) return undefined;
  // Cut between characters, never inside a surrogate pair.
  const shown =
    email.length <= EMAIL_MAX_LENGTH
      ? email
      : email.slice(0, EMAIL_MAX_LENGTH - 1).replace(/[\ud800-\udbff]$/, '') + '\u2026';
  return { key: 'detail.signed_in_as', values: { email: shownValue(shown) } };
}

/** The refusal of an access rule; a wrong-account one says which account was used. */
function refusedBy(decision: { rule: AccessRule; detail: string }, claims: Claims, idp: IdpSettings): BridgeError {
  return new BridgeError(decision.rule, {
    detail: decision.detail,
    userDetail: WRONG_ACCOUNT_RULES.has(decision.rule) ? signedInAs(claims, idp) : undefined,
  });
}

/**
 * Decides a verified sign-in at `idp`: the access rules, then where the login
 * goes, then the identity CommBox would receive. Returns the ticket request and
 * its destination; throws the refusal.
 */
export function decideLogin(login: VerifiedClaims, idp: IdpSettings, commbox: CommboxSettings): LoginDecision {
  const { claims, target } = login;
  const access = evaluateAccess(claims, idp.access);
  if (!access.allowed) throw refusedBy(access, claims, idp);
  const hosted = evaluateHostedDomain(login.idTokenClaims, idp.access);
  if (!hosted.allowed) throw refusedBy(hosted, claims, idp);
  // An agent into CommBox, or a customer into a chat channel (checked again:
  // the allow-list may have changed since /chat). Chat goes through the default IdP only.
  const chat = target !== undefined && isChatPath(target);
  if (chat && idp.name !== 'default') {
    throw new BridgeError(Reasons.initiateBadTarget, {
      detail: `customer chat access goes through the default IdP only, not "${idp.name}"`,
    });
  }
  const channel = chat ? resolveChatChannel(commbox, target) : undefined;
  const mapping = identityMapping(idp);
  const mapped = channel === undefined ? mapAgentIdentity(claims, mapping) : mapChatIdentity(claims, mapping);
  if (!mapped.ok) {
    throw new BridgeError(Reasons.claimMissing, {
      detail: `${mapped.detail}; claims present: ${Object.keys(claims).sort().join(', ')}`,
      userDetail: { key: 'detail.claim_missing', values: { claims: mapped.missing } },
    });
  }
  // The identity CommBox would receive must lie in this IdP's own domains.
  const username = 'username' in mapped.identity ? mapped.identity.username : undefined;
  const usernameBeforeLocalpart = username === undefined ? undefined : valueBeforeLocalpart(claims, mapping.username);
  const scoped = evaluateIdentity({ username, email: mapped.identity.email, usernameBeforeLocalpart }, idp.access);
  if (!scoped.allowed) throw refusedBy(scoped, claims, idp);
  const data: TicketData =
    channel === undefined
      ? { brand: commbox.brand, ...mapped.identity, oneTimeUse: true }
      : { brand: commbox.brand, ...mapped.identity, overrideUserInfo: commbox.chatOverrideUserInfo, oneTimeUse: true };
  return {
    data,
    destination: channel === undefined ? commbox.loginUrl : `${commbox.chatUrl}/${channel}`,
    username,
    email: mapped.identity.email,
    channel,
  };
}
