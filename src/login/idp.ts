/**
 * One IdP as a login uses it: its settings, its OpenID Connect client, and the
 * claims to complete from userinfo. Built once from the configuration by the wiring.
 */
import type { IdpConfig } from '../config/parse.js';
import type { OidcClient } from '../oidc/client.js';

export interface Idp {
  readonly config: IdpConfig;
  readonly oidc: OidcClient;
  /** Claim paths that the mapping and the access rules read: userinfo is fetched when one is missing. */
  readonly neededClaims: readonly (readonly string[])[];
}
