/** The variables of the "Claim mapping" section of docs/configuration.md: the identity CommBox receives. */
import { parseClaimMapping, type ClaimMapping } from '../claim-mapping.js';
import { boolean, isSet } from '../parsers.js';
import { variable, type Parser } from '../variable.js';

/** A claim mapping; `optional`: an empty value switches the field off. */
const claimMapping =
  (fallback: string, optional: boolean): Parser<ClaimMapping | undefined> =>
  (raw, ctx) => {
    if (optional && raw === '') return undefined;
    try {
      return parseClaimMapping(isSet(raw) ? raw : fallback);
    } catch (e) {
      ctx.bad((e as Error).message);
      return undefined;
    }
  };

export const CLAIM_MAPPING_VARIABLES = {
  ACCESS_TOKEN_CLAIMS: variable({
    group: 'Claim mapping',
    scope: 'idp',
    idpSuffix: 'ACCESS_TOKEN_CLAIMS',
    default: 'false',
    parse: boolean(false),
    doc: "`true`: when the access token is a JWT that verifies against the IdP's keys with the ID token's algorithm, has the IdP as `iss`, the ID token's `sub` and an `exp` not passed, its claims are read after the ID token's and before userinfo's (Keycloak puts roles there). One that does not verify contributes nothing.",
  }),
  MAP_USERNAME: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_USERNAME',
    default: 'preferred_username',
    parse: (raw, ctx) => claimMapping('preferred_username', false)(raw, ctx),
    doc: 'CommBox `username` (required). A dotted claim path with optional `|transforms`: `lower`, `upper`, `trim`, `localpart`, `domain`.',
  }),
  MAP_EMAIL: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_EMAIL',
    default: 'email',
    parse: claimMapping('email', true),
    doc: 'CommBox `email`. Empty: not sent.',
  }),
  MAP_FIRST_NAME: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_FIRST_NAME',
    default: 'given_name',
    parse: claimMapping('given_name', true),
    doc: 'CommBox `firstName`. Empty: not sent.',
  }),
  MAP_LAST_NAME: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_LAST_NAME',
    default: 'family_name',
    parse: claimMapping('family_name', true),
    doc: 'CommBox `lastName`. Empty: not sent.',
  }),
  MAP_PHONE: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_PHONE',
    default: 'phone_number',
    parse: claimMapping('phone_number', true),
    doc: 'CommBox `phone1` (with country code). Empty: not sent. Extra IdPs never send it (a phone number has no domain to keep it to their users): not inherited, and an error when set.',
  }),
  MAP_UNIQUE_ID: variable({
    group: 'Claim mapping',
    scope: 'idp-inherited',
    idpSuffix: 'MAP_UNIQUE_ID',
    default: 'sub',
    parse: claimMapping('sub', false),
    doc: "The chat ticket's `uniqueId` (the customer record's identifier).",
  }),
} as const;
