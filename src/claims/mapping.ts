/**
 * Claim extraction and the identity mapping: pure functions over the verified claims.
 *
 * A mapping (`config/claim-mapping.ts`: `path|transform|transform…`) is read here.
 * A name that exists as a whole at the top level of the claims
 * (`https://example.com/roles`, Auth0's namespaced claims) is taken as is;
 * otherwise dots separate levels (`realm_access.roles`).
 */
import type { ClaimMapping, TransformName } from '../config/claim-mapping.js';
import type { IdentityMapping } from '../config/settings.js';

export type Claims = Record<string, unknown>;

/** What each transform the configuration may name does. */
const TRANSFORMS: Readonly<Record<TransformName, (s: string) => string>> = {
  lower: (s: string) => s.toLowerCase(),
  upper: (s: string) => s.toUpperCase(),
  trim: (s: string) => s.trim(),
  /** The part of an email address before the last `@`. */
  localpart: (s: string) => {
    const at = s.lastIndexOf('@');
    return at === -1 ? s : s.slice(0, at);
  },
  /** The part of an email address after the last `@`. */
  domain: (s: string) => {
    const at = s.lastIndexOf('@');
    return at === -1 ? '' : s.slice(at + 1);
  },
};

/**
 * Reads a claim: the whole name at the top level when it exists there (a
 * namespaced claim with dots in it), else the dotted path; `undefined` when any
 * level is missing.
 */
export function getClaim(claims: Claims, path: readonly string[]): unknown {
  if (path.length > 1) {
    const whole = path.join('.');
    if (Object.prototype.hasOwnProperty.call(claims, whole)) return claims[whole];
  }
  let value: unknown = claims;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Applies a mapping. Numbers become strings (phone numbers sometimes arrive as
 * numbers); anything else that is not a string, or an empty result, is `undefined`.
 */
export function applyMapping(claims: Claims, mapping: ClaimMapping): string | undefined {
  const raw = getClaim(claims, mapping.path);
  let value: string;
  if (typeof raw === 'string') value = raw;
  else if (typeof raw === 'number' && Number.isFinite(raw)) value = String(raw);
  else return undefined;
  for (const t of mapping.transforms) value = TRANSFORMS[t](value);
  value = value.trim();
  return value === '' ? undefined : value;
}

/**
 * A `…|localpart…` mapping's value just before its first `localpart`: the whole
 * address whose domain the mapping drops, so that the domain rule can judge it.
 * Undefined when the mapping has no `localpart` or maps to nothing.
 */
export function valueBeforeLocalpart(claims: Claims, mapping: ClaimMapping): string | undefined {
  const at = mapping.transforms.indexOf('localpart');
  if (at === -1) return undefined;
  return applyMapping(claims, { ...mapping, transforms: mapping.transforms.slice(0, at) });
}

/** The groups claim as a list: an array of strings, or one string. */
export function readGroups(claims: Claims, path: readonly string[]): string[] {
  const raw = getClaim(claims, path);
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) return raw.filter((g): g is string => typeof g === 'string');
  return [];
}

/** An agent identity for the ticket request; absent fields are left out. */
export interface AgentIdentity {
  username: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  phone1?: string;
}

export type IdentityResult =
  | { readonly ok: true; readonly identity: AgentIdentity }
  | { readonly ok: false; readonly missing: readonly string[]; readonly detail: string };

/**
 * Maps claims to the CommBox agent identity. `username` is required, and so is
 * one strong identifier (email or phone), as CommBox demands for agents.
 */
export function mapAgentIdentity(claims: Claims, mapping: IdentityMapping): IdentityResult {
  const username = applyMapping(claims, mapping.username);
  if (username === undefined) {
    return {
      ok: false,
      missing: [mapping.username.path.join('.')],
      detail: `MAP_USERNAME (${mapping.username.source}) maps to nothing`,
    };
  }
  const identity: AgentIdentity = { username, ...profileFields(claims, mapping) };
  if (!identity.email && !identity.phone1) {
    const wanted = [mapping.email?.path.join('.'), mapping.phone?.path.join('.')].filter((c) => c !== undefined);
    return {
      ok: false,
      missing: wanted,
      detail: `neither MAP_EMAIL nor MAP_PHONE maps to a value (CommBox needs one of them)`,
    };
  }
  return { ok: true, identity };
}

/** The optional fields both kinds of ticket carry; those that map to nothing are left out. */
function profileFields(
  claims: Claims,
  mapping: IdentityMapping,
): { email?: string; firstName?: string; lastName?: string; phone1?: string } {
  const out: { email?: string; firstName?: string; lastName?: string; phone1?: string } = {};
  const email = mapping.email && applyMapping(claims, mapping.email);
  const firstName = mapping.firstName && applyMapping(claims, mapping.firstName);
  const lastName = mapping.lastName && applyMapping(claims, mapping.lastName);
  const phone1 = mapping.phone && applyMapping(claims, mapping.phone);
  if (email) out.email = email;
  if (firstName) out.firstName = firstName;
  if (lastName) out.lastName = lastName;
  if (phone1) out.phone1 = phone1;
  return out;
}

/** A customer identity for a chat ticket: no username; `uniqueId` identifies the customer record. */
export interface ChatIdentity {
  uniqueId: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  phone1?: string;
}

export type ChatIdentityResult =
  | { readonly ok: true; readonly identity: ChatIdentity }
  | { readonly ok: false; readonly missing: readonly string[]; readonly detail: string };

/** Maps claims to the customer identity of a chat ticket; `uniqueId` is required. */
export function mapChatIdentity(claims: Claims, mapping: IdentityMapping): ChatIdentityResult {
  const uniqueId = applyMapping(claims, mapping.uniqueId);
  if (uniqueId === undefined) {
    return {
      ok: false,
      missing: [mapping.uniqueId.path.join('.')],
      detail: `MAP_UNIQUE_ID (${mapping.uniqueId.source}) maps to nothing`,
    };
  }
  return { ok: true, identity: { uniqueId, ...profileFields(claims, mapping) } };
}

/** Every claim path the mapping reads. */
export function mappingPaths(mapping: IdentityMapping): (readonly string[])[] {
  return [mapping.username, mapping.email, mapping.firstName, mapping.lastName, mapping.phone, mapping.uniqueId]
    .filter((m): m is ClaimMapping => m !== undefined)
    .map((m) => m.path);
}
