/**
 * The proof of an IdP's client credentials without a sign-in (`check-config`): a
 * token request for an authorization code the IdP never issued, authenticated as
 * the logins authenticate, on the same Configuration (the proxy, OIDC_TIMEOUT_MS).
 * An IdP judges the client before the code: `invalid_grant` says the credentials
 * passed, `invalid_client` or a 401 that they did not (RFC 6749 §5.2).
 */
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { describeError } from '../net/network-errors.js';
import { describeTokenAnswer, refusesClientAuthentication, tokenEndpointAnswer } from './errors.js';

/**
 * What the IdP's answer says of the credentials: `accepted` (refused for the code),
 * `refused` (for the client), `unknown` (an answer that says neither), `failed` (no
 * answer). `answer` is what came back, in words, without the code or a secret.
 */
export interface CredentialsVerdict {
  readonly outcome: 'accepted' | 'refused' | 'unknown' | 'failed';
  readonly answer: string;
}

/**
 * Sends the token request with a code no IdP issued (random, and never shown) and
 * a PKCE verifier, as a login's code grant does; `secrets` are hidden from what the
 * IdP's description may echo.
 */
export async function probeClientCredentials(
  configuration: client.Configuration,
  redirectUri: string,
  secrets: readonly string[],
): Promise<CredentialsVerdict> {
  const code = randomBytes(32).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const hidden = [code, verifier, ...secrets].filter((s) => s !== '');
  const words = (text: string) => hidden.reduce((t, s) => t.split(s).join('[hidden]'), text);
  try {
    await client.genericGrantRequest(configuration, 'authorization_code', {
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    return { outcome: 'unknown', answer: 'the IdP answered with tokens for a code it never issued' };
  } catch (e) {
    const answer = tokenEndpointAnswer(e);
    if (answer === undefined) {
      // A token response that failed one of the library's checks is an answer; the rest (the transport's
      // errors, which openid-client wraps without a code, and its deadline) is a request that failed.
      const failed =
        !(e instanceof client.ClientError) ||
        e.code === undefined ||
        e.code === 'OAUTH_TIMEOUT' ||
        e.code === 'OAUTH_ABORT';
      return { outcome: failed ? 'failed' : 'unknown', answer: words(describeError(e)) };
    }
    // The IdP's words are printed: should they echo the code or a secret, it is hidden.
    const text = describeTokenAnswer({
      ...answer,
      error: answer.error === undefined ? undefined : words(answer.error),
      description: answer.description === undefined ? undefined : words(answer.description),
    });
    if (refusesClientAuthentication(answer)) return { outcome: 'refused', answer: text };
    return { outcome: answer.error === 'invalid_grant' ? 'accepted' : 'unknown', answer: text };
  }
}
