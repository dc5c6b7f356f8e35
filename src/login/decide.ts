/**
 * The decision at the end of a login, with nothing but its inputs: given the
 * verified claims, the IdP's rules and mapping, the CommBox settings and where
 * the login was going, the ticket request and where to send the browser, or the
 * refusal. No I/O, no clock, no logger: the callback (`complete.ts`) gathers the
 * claims and acts on the answer.
 */
import { evaluateAccess, evaluateHostedDomain, evaluateIdentity, missingRequiredClaims } from '../claims/access.js';
import { mapAgentIdentity, mapChatIdentity, valueBeforeLocalpart, type Claims } from '../claims/mapping.js';
import { isChatPath, resolveChatChannel } from '../commbox/chat.js';
import type { TicketData } from '../commbox/client.js';
import type { BridgeConfig, IdpConfig } from '../config/parse.js';
import type { IdentityMapping } from '../config/settings.js';
import { BridgeError, Reasons } from '../errors.js';

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

/**
 * Decides a verified sign-in at `idp`: the access rules, then where the login
 * goes, then the identity CommBox would receive. Returns the ticket request and
 * its destination; throws the refusal.
 */
export function decideLogin(login: VerifiedClaims, idp: IdpSettings, commbox: CommboxSettings): LoginDecision {
  const { claims, target } = login;
  const access = evaluateAccess(claims, idp.access);
  if (!access.allowed) throw new BridgeError(access.rule, { detail: access.detail });
  const hosted = evaluateHostedDomain(login.idTokenClaims, idp.access);
  if (!hosted.allowed) throw new BridgeError(hosted.rule, { detail: hosted.detail });
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
  if (!scoped.allowed) throw new BridgeError(scoped.rule, { detail: scoped.detail });
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
