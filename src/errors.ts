/**
 * Coded errors. Every refusal of the bridge is a {@link BridgeError} with a stable
 * `reason` (the log's reason code), the HTTP status the user sees (the reason's,
 * from {@link REASON_STATUS}), the `check` that fired (one of {@link CHECKS}),
 * and an optional `cause` kept for the log only. docs/troubleshooting.md explains
 * every reason and every check; a test holds it to these lists.
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

/**
 * The HTTP status each reason answers with: 400 for a request or a callback
 * that cannot go on, 403 for a person the rules refuse, 502/503/504 for an IdP
 * or CommBox that failed, timed out or answered badly.
 */
export const REASON_STATUS: Readonly<Record<Reason, number>> = {
  [Reasons.loginCookieMissing]: 400,
  [Reasons.loginCookieInvalid]: 400,
  [Reasons.loginExpired]: 400,
  [Reasons.stateMismatch]: 400,
  [Reasons.callbackReplayed]: 400,
  [Reasons.callbackInvalid]: 400,
  [Reasons.idpError]: 502,
  [Reasons.idpUnavailable]: 503,
  [Reasons.issMismatch]: 400,
  [Reasons.tokenExchangeFailed]: 502,
  [Reasons.idTokenInvalid]: 502,
  [Reasons.userinfoFailed]: 502,
  [Reasons.userinfoSubMismatch]: 502,
  [Reasons.authTooOld]: 403,
  [Reasons.reauthenticationMissing]: 403,
  [Reasons.acrNotSatisfied]: 403,
  [Reasons.noAccessRule]: 403,
  [Reasons.emailUnverified]: 403,
  [Reasons.groupNotAllowed]: 403,
  [Reasons.emailDomainNotAllowed]: 403,
  [Reasons.usernameWithoutDomain]: 403,
  [Reasons.hostedDomainNotAllowed]: 403,
  [Reasons.groupsOverage]: 403,
  [Reasons.claimMissing]: 403,
  [Reasons.chatChannelNotAllowed]: 403,
  [Reasons.commboxUnauthorized]: 502,
  [Reasons.commboxRejected]: 502,
  [Reasons.commboxUnavailable]: 502,
  [Reasons.commboxTimeout]: 504,
  [Reasons.commboxBadResponse]: 502,
  [Reasons.loginTimeout]: 504,
  [Reasons.initiateUnknownIssuer]: 400,
  [Reasons.initiateBadTarget]: 400,
  [Reasons.badRequest]: 400,
  [Reasons.rateLimited]: 429,
  [Reasons.notFound]: 404,
  [Reasons.internalError]: 500,
};

/**
 * The reasons whose status depends on the answer they stand for, so a refusal
 * may give its own (`status` option) instead of {@link REASON_STATUS}'s:
 * `idp_error` is 403 when the IdP answered `access_denied` (the person is not
 * let in) and 502 otherwise (the IdP failed); `bad_request` carries the 4xx the
 * HTTP layer chose (414 for a URL too long, 415 for a body type, Fastify's own).
 */
export const STATUS_OVERRIDE_REASONS = [Reasons.idpError, Reasons.badRequest] as const;
export type StatusOverrideReason = (typeof STATUS_OVERRIDE_REASONS)[number];

/**
 * Check codes: which rule refused, for the log line's `check` (beside the
 * reason, which is what the user sees). Stable strings, each explained in
 * docs/troubleshooting.md; `family.name`, the family saying where the rule sits.
 */
export const CHECKS = [
  // the authorization response: the callback's parameters
  'auth_response.error',
  'auth_response.iss',
  'auth_response.state',
  'auth_response.duplicate',
  'auth_response.implicit',
  'auth_response.response',
  'auth_response.access_token',
  // the login transaction: the callback reached another IdP's redirect URI
  'redirect_uri',
  // the token request and response
  'token.client_auth',
  'token.challenge',
  'token.error',
  'token.status',
  'token.body',
  'token.token_type',
  'token.unsupported',
  'token.timeout',
  'token.request',
  'token.response',
  // the ID token: its signature and key, then its claims (named by the claim)
  'id_token.signature',
  'id_token.alg',
  'id_token.kid',
  'id_token.jwt',
  'id_token.iss',
  'id_token.aud',
  'id_token.azp',
  'id_token.sub',
  'id_token.exp',
  'id_token.iat',
  'id_token.nbf',
  'id_token.nonce',
  'id_token.auth_time',
  'id_token.acr',
  'id_token.claim',
  // the userinfo request and answer
  'userinfo.sub',
  'userinfo.status',
  'userinfo.jwt',
  'userinfo.request',
  // the IdP's discovery document, metadata and keys
  'discovery',
  'metadata.id_token_signing_alg_values_supported',
  'metadata.authorization_endpoint',
  'metadata.token_endpoint',
  'metadata.jwks_uri',
  'metadata.userinfo_endpoint',
  'metadata.end_session_endpoint',
  'jwks.fetch',
  // Entra ID groups overage and Microsoft Graph
  'groups.overage',
  'graph.status',
  'graph.body',
  'graph.timeout',
  'graph.request',
  'graph.offorigin',
  'graph.pages',
  // the whole callback's deadline (LOGIN_TIMEOUT_MS), named by the step that was running
  'login_timeout.callback',
  'login_timeout.login_cookie',
  'login_timeout.discovery',
  'login_timeout.token',
  'login_timeout.signature',
  'login_timeout.access_token',
  'login_timeout.userinfo',
  'login_timeout.graph',
  'login_timeout.ticket',
  // limits on requests
  'rate_limit.failed_logins',
  'request.timeout',
  'request.headers_too_large',
  'request.malformed',
] as const;

export type Check = (typeof CHECKS)[number];

const CHECK_SET: ReadonlySet<string> = new Set(CHECKS);

/** True when `code` is one of {@link CHECKS} (for a code built at run time, e.g. from a claim name). */
export function isCheck(code: string): code is Check {
  return CHECK_SET.has(code);
}

/**
 * Extra words for the user's page: a message key of the pages' catalogues
 * (`detail.*`, config/locales/) and the values of its arguments, so the page
 * says them in the reader's language. Values are shown as written (escaped,
 * and isolated left to right: codes as codes, an email as an address).
 */
export type UserDetail =
  /** `error`: the OAuth error code the IdP answered. */
  | { readonly key: 'detail.idp_answered'; readonly values: { readonly error: string } }
  /** `claims`: the claim names of which one is needed (any one of them would do). */
  | { readonly key: 'detail.claim_missing'; readonly values: { readonly claims: readonly string[] } }
  /** `limit`: the groups an ID token lists at most; `setting`, `permission`: what IT sets. */
  | {
      readonly key: 'detail.groups_overage';
      readonly values: { readonly limit: number; readonly setting: string; readonly permission: string };
    }
  /** `email`: the address of the account the person signed in with (an access rule refused it), shown as an address. */
  | { readonly key: 'detail.signed_in_as'; readonly values: { readonly email: string } };

/** What a refusal carries besides its reason. */
export interface BridgeErrorOptions {
  /** Admin-facing detail for the log line; never a secret; on no page but DRY_RUN's operator view. */
  detail?: string;
  /** Extra words for the user's page. */
  userDetail?: UserDetail;
  /** The error behind it, for the log only. */
  cause?: unknown;
  /** Which check refused, when a named one did. */
  check?: Check;
}

/** A refusal or failure with everything needed to answer the user and log it. */
export class BridgeError extends Error {
  override name = 'BridgeError';
  /** Stable reason code (see {@link Reasons}). */
  readonly reason: Reason;
  /** HTTP status of the page shown to the user: the reason's (see {@link REASON_STATUS}). */
  readonly status: number;
  /** Admin-facing detail for the log line; never a secret; on no page but DRY_RUN's operator view. */
  readonly detail: string | undefined;
  /** Extra words for the user's page. */
  readonly userDetail: UserDetail | undefined;

  /** Which check refused, when a named check did (e.g. `id_token.aud`, `auth_response.iss`): for the log. */
  readonly check: Check | undefined;

  /** A refusal for a reason whose status depends on the answer (see {@link STATUS_OVERRIDE_REASONS}). */
  constructor(reason: StatusOverrideReason, options: BridgeErrorOptions & { status?: number });
  /** A refusal answered with its reason's status. */
  constructor(reason: Reason, options?: BridgeErrorOptions);
  constructor(reason: Reason, options: BridgeErrorOptions & { status?: number } = {}) {
    super(options.detail ?? reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.status = options.status ?? REASON_STATUS[reason];
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
