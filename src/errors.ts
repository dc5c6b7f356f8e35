/**
 * Coded errors. Every refusal of the bridge is a {@link BridgeError} with a stable
 * `reason` (the log's reason code, explained in docs/troubleshooting.md),
 * the HTTP status the user sees, and an optional `cause` kept for the log only.
 */

/** Reason codes: stable strings for logs, metrics and the troubleshooting table. */
export const Reasons = {
  // transaction (login cookie) problems
  loginCookieMissing: 'login_cookie_missing',
  loginCookieInvalid: 'login_cookie_invalid',
  loginExpired: 'login_expired',
  stateMismatch: 'state_mismatch',
  callbackReplayed: 'callback_replayed',
  callbackInvalid: 'callback_invalid',
  // the IdP
  idpError: 'idp_error',
  idpUnavailable: 'idp_unavailable',
  issMismatch: 'iss_mismatch',
  tokenExchangeFailed: 'token_exchange_failed',
  idTokenInvalid: 'id_token_invalid',
  userinfoFailed: 'userinfo_failed',
  userinfoSubMismatch: 'userinfo_sub_mismatch',
  authTooOld: 'auth_too_old',
  reauthenticationMissing: 'reauthentication_missing',
  acrNotSatisfied: 'acr_not_satisfied',
  // access rules and mapping
  noAccessRule: 'no_access_rule',
  emailUnverified: 'email_unverified',
  groupNotAllowed: 'group_not_allowed',
  emailDomainNotAllowed: 'email_domain_not_allowed',
  usernameWithoutDomain: 'username_without_domain',
  hostedDomainNotAllowed: 'hosted_domain_not_allowed',
  groupsOverage: 'groups_overage',
  claimMissing: 'claim_missing',
  chatChannelNotAllowed: 'chat_channel_not_allowed',
  // CommBox
  commboxUnauthorized: 'commbox_unauthorized',
  commboxRejected: 'commbox_rejected',
  commboxUnavailable: 'commbox_unavailable',
  commboxTimeout: 'commbox_timeout',
  commboxBadResponse: 'commbox_bad_response',
  // the whole callback (LOGIN_TIMEOUT_MS)
  loginTimeout: 'login_timeout',
  // requests
  initiateUnknownIssuer: 'initiate_unknown_issuer',
  initiateBadTarget: 'initiate_bad_target',
  badRequest: 'bad_request',
  rateLimited: 'rate_limited',
  notFound: 'not_found',
  internalError: 'internal_error',
} as const;

export type Reason = (typeof Reasons)[keyof typeof Reasons];

/** A refusal or failure with everything needed to answer the user and log it. */
export class BridgeError extends Error {
  override name = 'BridgeError';
  /** Stable reason code (see {@link Reasons}). */
  readonly reason: Reason;
  /** HTTP status of the page shown to the user. */
  readonly status: number;
  /** Admin-facing detail for the log line; never shown to the user, never a secret. */
  readonly detail: string | undefined;
  /** Extra words for the user's page (plain text; escaped when rendered). */
  readonly userDetail: string | undefined;

  /** Which check refused, when a named check did (e.g. `id_token.aud`, `auth_response.iss`): for the log. */
  readonly check: string | undefined;

  constructor(
    reason: Reason,
    status: number,
    options: { detail?: string; userDetail?: string; cause?: unknown; check?: string } = {},
  ) {
    super(options.detail ?? reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.status = status;
    this.detail = options.detail;
    this.userDetail = options.userDetail;
    this.check = options.check;
  }
}

/** One or more bad configuration variables; the message lists every one of them. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly code = 'ERR_CONFIG';
  readonly problems: readonly { variable: string; problem: string }[];

  constructor(problems: { variable: string; problem: string }[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.variable}: ${p.problem}`).join('\n'),
    );
    this.problems = problems;
  }
}
