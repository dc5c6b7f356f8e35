/**
 * The proof of an IdP's client credentials without a sign-in (`check-config`): a
 * token request for an authorization code the IdP never issued, authenticated as
 * the logins authenticate, through the same transport (the proxy, OIDC_TIMEOUT_MS).
 *
 * `invalid_client` or a 401 says the credentials were refused (RFC 6749 §5.2).
 * `invalid_grant` says the code was, which proves the credentials only at an IdP
 * that judges the client before the code: Google answers a code not in its format
 * with invalid_grant "Malformed auth code." whatever the secret, and Entra ID's
 * AADSTS9002313 "Request is malformed" is invalid_grant too. So an `invalid_grant`
 * is followed by a control request, the same one authenticated with a credential
 * the IdP cannot accept (a random secret, or an assertion signed by a throwaway
 * key): refused for the client, it shows the IdP judged the client first and the
 * credentials passed; answered `invalid_grant` too, it shows the IdP judged the
 * code first, and the probe cannot tell.
 */
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import { describeError } from '../net/network-errors.js';
import { hideValues } from '../observability/log.js';
import {
  describeTokenAnswer,
  refusesClientAuthentication,
  tokenEndpointAnswer,
  type TokenEndpointAnswer,
} from './errors.js';

/**
 * What the IdP's answers say of the credentials: `accepted` (refused for the code,
 * and a wrong credential refused for the client), `refused` (for the client),
 * `unknown` (answers that say neither), `failed` (no answer). `answer` is what came
 * back, in words, without the code or a secret.
 */
export interface CredentialsVerdict {
  readonly outcome: 'accepted' | 'refused' | 'unknown' | 'failed';
  readonly answer: string;
  /**
   * After an `invalid_grant`, the control request with a wrong credential: what it
   * said (`refused` for the client; `invalid_grant` too; an `other` answer; or it
   * `failed`), and its answer in words, hidden as `answer` is.
   */
  readonly control?: {
    readonly said: 'refused' | 'invalid_grant' | 'other' | 'failed';
    readonly answer: string;
  };
}

/** The IdP's client as the probe uses it. */
export interface ProbeClient {
  /** A Configuration of the IdP and client, through the logins' transport, authenticating with `auth`. */
  readonly configuration: (auth: client.ClientAuth) => client.Configuration;
  /** The client's authentication, as the logins use it. */
  readonly auth: client.ClientAuth;
  /** The same authentication with a credential the IdP cannot accept (client-auth.ts). */
  readonly wrongAuth: () => Promise<client.ClientAuth>;
  readonly redirectUri: string;
  /** Values never to print (the configured secret), beside what the requests carried. */
  readonly secrets: readonly string[];
}

/** What one token request brought back. */
type Result =
  | { readonly kind: 'tokens' }
  | { readonly kind: 'answer'; readonly answer: TokenEndpointAnswer }
  | { readonly kind: 'error'; readonly failed: boolean; readonly error: unknown };

/**
 * Sends the token request with a code no IdP issued (random, and never shown) and
 * a PKCE verifier, as a login's code grant does, and after an `invalid_grant` the
 * control request. What the IdP's descriptions may echo of the code, the verifier,
 * `secrets` and either request's client authentication is hidden.
 */
export async function probeClientCredentials(probe: ProbeClient): Promise<CredentialsVerdict> {
  const code = randomBytes(32).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const hidden: string[] = [code, verifier, ...probe.secrets.flatMap(encodings)];
  const params = { code, redirect_uri: probe.redirectUri, code_verifier: verifier };
  const first = await tokenRequest(probe.configuration(recorded(probe.auth, hidden)), params);
  if (first.kind !== 'answer' || refusesClientAuthentication(first.answer) || first.answer.error !== 'invalid_grant')
    return verdict(first, words(hidden));

  let control: Result;
  try {
    control = await tokenRequest(probe.configuration(recorded(await probe.wrongAuth(), hidden)), params);
  } catch (error) {
    control = { kind: 'error', failed: true, error };
  }
  const hide = words(hidden);
  const answer = describe(first, hide);
  const controlAnswer = describe(control, hide);
  if (control.kind === 'answer' && refusesClientAuthentication(control.answer))
    return { outcome: 'accepted', answer, control: { said: 'refused', answer: controlAnswer } };
  const said =
    control.kind === 'answer'
      ? control.answer.error === 'invalid_grant'
        ? 'invalid_grant'
        : 'other'
      : control.kind === 'error' && control.failed
        ? 'failed'
        : 'other';
  return { outcome: 'unknown', answer, control: { said, answer: controlAnswer } };
}

async function tokenRequest(configuration: client.Configuration, params: Record<string, string>): Promise<Result> {
  try {
    await client.genericGrantRequest(configuration, 'authorization_code', params);
    return { kind: 'tokens' };
  } catch (error) {
    const answer = tokenEndpointAnswer(error);
    if (answer !== undefined) return { kind: 'answer', answer };
    // A token response that failed one of the library's checks is an answer; the rest (the transport's
    // errors, which openid-client wraps without a code, and its deadline) is a request that failed.
    const failed =
      !(error instanceof client.ClientError) ||
      error.code === undefined ||
      error.code === 'OAUTH_TIMEOUT' ||
      error.code === 'OAUTH_ABORT';
    return { kind: 'error', failed, error };
  }
}

/** The verdict on the first answer alone: tokens, a refusal of the client, another answer, or none. */
function verdict(result: Result, hide: (text: string) => string): CredentialsVerdict {
  const answer = describe(result, hide);
  switch (result.kind) {
    case 'tokens':
      return { outcome: 'unknown', answer };
    case 'error':
      return { outcome: result.failed ? 'failed' : 'unknown', answer };
    default:
      return { outcome: refusesClientAuthentication(result.answer) ? 'refused' : 'unknown', answer };
  }
}

/** A result in words; the IdP's words are printed, so what they may echo of the request is hidden. */
function describe(result: Result, hide: (text: string) => string): string {
  switch (result.kind) {
    case 'tokens':
      return 'the IdP answered with tokens for a code it never issued';
    case 'error':
      return hide(describeError(result.error));
    default: {
      const a = result.answer;
      return describeTokenAnswer({
        ...a,
        error: a.error === undefined ? undefined : hide(a.error),
        description: a.description === undefined ? undefined : hide(a.description),
      });
    }
  }
}

/** Hides each of `hidden`, as it is when called (observability/log.ts's hideValues). */
function words(hidden: readonly string[]): (text: string) => string {
  const values = [...hidden];
  return (text) => hideValues(text, values);
}

/**
 * `auth`, adding to `hidden` the client authentication it put in the request: the
 * secret as sent in the form, the Basic header's credentials (base64 of the
 * form-encoded `client_id:secret`) and the secret in it, the signed assertion.
 */
function recorded(auth: client.ClientAuth, hidden: string[]): client.ClientAuth {
  // openid-client types a ClientAuth as returning nothing, but its own private_key_jwt one returns a
  // Promise (the signature), and the request awaits what it returns (oauth4webapi types it void | Promise<void>).
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  return async (as, c, body, headers) => {
    await (auth(as, c, body, headers) as unknown as Promise<void> | undefined);
    const secret = body.get('client_secret');
    if (secret !== null) hidden.push(...encodings(secret));
    const assertion = body.get('client_assertion');
    if (assertion !== null) hidden.push(assertion);
    const basic = /^Basic\s+(\S+)$/i.exec(headers.get('authorization') ?? '')?.[1];
    if (basic !== undefined) {
      const pair = Buffer.from(basic, 'base64').toString();
      const password = pair.slice(pair.indexOf(':') + 1);
      hidden.push(basic, pair, password, ...encodings(formDecoded(password)));
    }
  };
}

/** A secret as it is, and as the form and URL encodings write it. */
function encodings(secret: string): string[] {
  return [secret, new URLSearchParams([['s', secret]]).toString().slice(2), encodeURIComponent(secret)];
}

function formDecoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
