/**
 * The JWS algorithms an ID token may be signed with, and the parser of
 * `OIDC_ID_TOKEN_ALG`, which pins one of them.
 */
import { isSet } from './parsers.js';
import type { Parser } from './variable.js';

/** Asymmetric JWS algorithms accepted for ID tokens. `none` and `HS*` never are. */
export const ID_TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export const idTokenAlg: Parser<string | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  if ((ID_TOKEN_ALGORITHMS as readonly string[]).includes(raw)) return raw;
  ctx.bad(
    /^(none|HS\d+)$/i.test(raw)
      ? `"${raw}" is never accepted: ID tokens must be signed with the IdP's private key`
      : `"${raw}" is not one of ${ID_TOKEN_ALGORITHMS.join(', ')}`,
  );
  return undefined;
};
