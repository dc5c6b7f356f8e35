/**
 * One IdP's settings as the OIDC layer uses them, and what they ask of a sign-in.
 */
import type { OidcSettings } from '../config/parse.js';

/** One IdP's settings as configured, and what the client needs beside them. */
export interface OidcOptions extends OidcSettings {
  readonly redirectUri: string;
  /** Seconds of clock skew tolerated on ID token times. */
  readonly clockToleranceSec: number;
  /** Total deadline of each request to the IdP. */
  readonly timeoutMs: number;
}

/** What the company asks of the sign-in itself, verified on the ID token (not only requested). */
export interface SignInRequirements {
  /** `OIDC_PROMPT` contains `login`: the ID token must confirm a sign-in made during this login. */
  readonly freshSignIn: boolean;
  /** The `acr_values` of `OIDC_AUTH_PARAMS`; undefined when not asked for. */
  readonly acrValues: readonly string[] | undefined;
}

/** The sign-in requirements of `OIDC_PROMPT` and `OIDC_AUTH_PARAMS`, read once per IdP. */
export function signInRequirements(opts: Pick<OidcSettings, 'prompt' | 'authParams'>): SignInRequirements {
  const acr = opts.authParams.find(([name]) => name === 'acr_values');
  return {
    freshSignIn: opts.prompt?.split(' ').includes('login') ?? false,
    acrValues: acr === undefined ? undefined : acr[1].split(' ').filter((v) => v !== ''),
  };
}
