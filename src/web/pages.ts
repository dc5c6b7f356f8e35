/**
 * The pages people see: the landing page and every error page, as small,
 * self-contained, accessible HTML (or JSON when the client asks for it).
 * No external assets; the only style is inline and allowed by its hash.
 */
import { createHash } from 'node:crypto';
import { Reasons, type Reason } from '../errors.js';
import type { DryRunPreview } from '../login/preview.js';

const STYLE = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
main{max-width:36rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin:0 0 .75rem}p{margin:.5rem 0}
.button{display:inline-block;margin-top:1rem;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;border-radius:6px;text-decoration:none;font-weight:600}
.button:focus{outline:3px solid #f2b600;outline-offset:2px}
.ref{margin-top:1.5rem;color:#4a525c;font-size:.875rem}code{font-family:ui-monospace,monospace}
@media (max-width:400px){main{margin:0;border-radius:0}}`;

/** CSP for the bridge's pages: nothing loads but the inline style above. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`;

/** HTML-escapes text. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** What every page says of the company: its name and help desk (`ORG_NAME`, `HELP_URL`), and where to sign in. */
export interface PageContext {
  readonly loginUrl: string;
  readonly orgName?: string | undefined;
  readonly helpUrl?: string | undefined;
}

/** The help desk line, when `HELP_URL` is set. */
function helpLine(ctx: PageContext): string {
  if (ctx.helpUrl === undefined) return '';
  const who = ctx.orgName === undefined ? 'your company' : escapeHtml(ctx.orgName);
  return `<p>Help: <a href="${escapeHtml(ctx.helpUrl)}">the help desk of ${who}</a></p>\n`;
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The landing page: what the intranet links to when it does not link `/login`. */
export function renderLanding(ctx: PageContext): string {
  const account = ctx.orgName === undefined ? 'your company account' : `your ${escapeHtml(ctx.orgName)} account`;
  return layout(
    ctx.orgName === undefined ? 'Open CommBox' : `Open CommBox: ${ctx.orgName}`,
    `<h1>CommBox</h1>
<p>Sign in with ${account} to open CommBox.</p>
<a class="button" href="${escapeHtml(ctx.loginUrl)}">Open CommBox</a>
${helpLine(ctx)}`,
  );
}

interface Explanation {
  title: string;
  /** What happened, in plain words. */
  what: string;
  /** What the user can do. */
  todo: string;
  /** Whether "Try again" makes sense. */
  retry: boolean;
}

const ASK_ADMIN = 'If this keeps happening, contact your IT service desk and quote the reference below.';

const EXPLANATIONS: Record<Reason, Explanation> = {
  [Reasons.loginCookieMissing]: {
    title: 'Your sign-in could not be matched',
    what: 'The sign-in came back without the login cookie this browser received when it started. This happens when cookies are blocked for this site, when a bookmark of the sign-in page is used, or when the sign-in was started in another browser or window.',
    todo: 'Start again from the button below (not from a bookmark of the sign-in page), and allow cookies for this site.',
    retry: true,
  },
  [Reasons.loginCookieInvalid]: {
    title: 'Your sign-in could not be matched',
    what: 'The login cookie in this browser could not be read. It may come from an older version of this service.',
    todo: 'Start a fresh sign-in from the button below.',
    retry: true,
  },
  [Reasons.loginExpired]: {
    title: 'Your sign-in took too long',
    what: 'More than 10 minutes passed between starting the sign-in and coming back.',
    todo: 'Start a fresh sign-in from the button below.',
    retry: true,
  },
  [Reasons.stateMismatch]: {
    title: 'Your sign-in could not be matched',
    what: 'The answer from the sign-in service does not belong to the sign-in this browser started.',
    todo: 'Start a fresh sign-in from the button below.',
    retry: true,
  },
  [Reasons.callbackReplayed]: {
    title: 'This sign-in was already used',
    what: 'This sign-in has already been used once, and each one works only once. This happens when the last page is reloaded or reached again with the back button.',
    todo: 'Start a fresh sign-in from the button below.',
    retry: true,
  },
  [Reasons.callbackInvalid]: {
    title: 'Incomplete sign-in answer',
    what: 'The answer from the sign-in service is incomplete.',
    todo: 'Start a fresh sign-in from the button below.',
    retry: true,
  },
  [Reasons.idpError]: {
    title: 'The sign-in service did not sign you in',
    what: 'Your company sign-in service ended the sign-in without signing you in.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.idpUnavailable]: {
    title: 'The sign-in service is unavailable',
    what: 'Your company sign-in service cannot be reached right now.',
    todo: `Wait a minute and try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.issMismatch]: {
    title: 'Unexpected sign-in service',
    what: 'The answer came from a sign-in service this site does not use, so it was refused.',
    todo: `Start a fresh sign-in from the button below. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.tokenExchangeFailed]: {
    title: 'Sign-in could not be completed',
    what: 'The sign-in service did not confirm your sign-in.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.idTokenInvalid]: {
    title: 'Sign-in could not be verified',
    what: 'The sign-in service sent a proof of identity that failed our security checks, so it was refused.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.userinfoFailed]: {
    title: 'Your profile could not be read',
    what: 'The sign-in service did not give us your profile details.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.userinfoSubMismatch]: {
    title: 'Sign-in could not be verified',
    what: 'The profile from the sign-in service belongs to a different account than the sign-in, so it was refused.',
    todo: ASK_ADMIN,
    retry: true,
  },
  [Reasons.authTooOld]: {
    title: 'Please sign in again',
    what: 'Your company asks for a recent sign-in to open CommBox, and the sign-in service confirmed an older one.',
    todo: `Sign in again from the button below. If this page comes back, the sign-in service did not ask for your password: ${ASK_ADMIN.charAt(0).toLowerCase()}${ASK_ADMIN.slice(1)}`,
    retry: true,
  },
  [Reasons.reauthenticationMissing]: {
    title: 'Please enter your password again',
    what: 'Your company asks for a new sign-in every time CommBox is opened here, and the sign-in service confirmed an earlier one instead.',
    todo: 'Start a fresh sign-in from the button below and enter your password when asked. If this page comes back, contact your IT service desk and quote the reference below.',
    retry: true,
  },
  [Reasons.acrNotSatisfied]: {
    title: 'Your sign-in did not use the required method',
    what: 'Your company requires a particular way of signing in to open CommBox (for example with a second factor), and the sign-in service confirmed another one.',
    todo: `Sign in again from the button below, using the method your company requires. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.noAccessRule]: {
    title: 'CommBox access is not set up here',
    what: 'This sign-in service has no rule saying who may open CommBox, so nobody is let in.',
    todo: 'Contact your IT service desk and quote the reference below.',
    retry: false,
  },
  [Reasons.emailUnverified]: {
    title: 'Your email address is not verified',
    what: 'Your company account has an email address that is not marked as verified, so it cannot be used to open CommBox.',
    todo: 'Ask your IT service desk to verify the email address on your account, then try again.',
    retry: false,
  },
  [Reasons.groupNotAllowed]: {
    title: 'You do not have access to CommBox',
    what: 'You are signed in, but your account is not in a group that may use CommBox.',
    todo: 'Ask your IT service desk or manager for CommBox access, quoting the reference below.',
    retry: false,
  },
  [Reasons.emailDomainNotAllowed]: {
    title: 'You do not have access to CommBox',
    what: 'You are signed in, but your email address is not in a domain that may use CommBox.',
    todo: 'Ask your IT service desk for CommBox access, quoting the reference below.',
    retry: false,
  },
  [Reasons.usernameWithoutDomain]: {
    title: 'Your account cannot open CommBox from here',
    what: 'You are signed in, but this sign-in service gave an account name without a company domain (name@company), and accounts from it need one so they can never be mistaken for accounts of another sign-in service.',
    todo: 'Contact your IT service desk and quote the reference below.',
    retry: false,
  },
  [Reasons.hostedDomainNotAllowed]: {
    title: 'Use your company account',
    what: 'You signed in with an account that does not belong to your company (for example a personal Google account), so it cannot open CommBox.',
    todo: 'Sign in again with your company account. If you did, contact your IT service desk and quote the reference below.',
    retry: true,
  },
  [Reasons.groupsOverage]: {
    title: 'Your groups could not be read',
    what: 'Your account is in too many groups for the sign-in to list them, so this service cannot tell whether you may use CommBox.',
    todo: 'Contact your IT service desk and quote the reference below.',
    retry: false,
  },
  [Reasons.claimMissing]: {
    title: 'Your account is missing information',
    what: 'Your company account does not provide a detail CommBox needs to recognise you.',
    todo: 'Ask your IT service desk to complete your account, quoting the reference below.',
    retry: false,
  },
  [Reasons.chatChannelNotAllowed]: {
    title: 'Chat not available',
    what: 'This chat channel cannot be opened from this sign-in service.',
    todo: 'Use the chat link your company published, or ask your IT service desk.',
    retry: false,
  },
  [Reasons.commboxUnauthorized]: {
    title: 'CommBox refused this service',
    what: "CommBox did not accept this sign-in service's credentials. This is a configuration problem, not yours.",
    todo: 'Contact your IT service desk and quote the reference below.',
    retry: false,
  },
  [Reasons.commboxRejected]: {
    title: 'CommBox did not recognise you',
    what: 'You are signed in, but CommBox refused to open a session for your account. Your CommBox agent record may not match your company account.',
    todo: 'Contact your IT service desk or CommBox administrator and quote the reference below.',
    retry: true,
  },
  [Reasons.commboxUnavailable]: {
    title: 'CommBox is unavailable',
    what: 'You are signed in, but CommBox could not be reached or did not answer properly.',
    todo: `Wait a minute and try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.commboxTimeout]: {
    title: 'CommBox is not answering',
    what: 'You are signed in, but CommBox took too long to answer.',
    todo: `Wait a minute and try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.commboxBadResponse]: {
    title: 'CommBox sent an unexpected answer',
    what: 'You are signed in, but CommBox answered in a way this service does not understand.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.loginTimeout]: {
    title: 'Sign-in took too long',
    what: 'The sign-in service or CommBox answered too slowly, so this sign-in was stopped. No CommBox session was opened.',
    todo: `Wait a minute and try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.initiateUnknownIssuer]: {
    title: 'Unknown sign-in service',
    what: 'This link asks to sign in with a sign-in service this site does not use, so it was refused.',
    todo: "Use your company's CommBox link or app tile, or start from the button below.",
    retry: true,
  },
  [Reasons.initiateBadTarget]: {
    title: 'Link not allowed',
    what: 'This link asks to go somewhere this service does not send people to, so it was refused.',
    todo: "Use your company's CommBox link or app tile, or start from the button below.",
    retry: true,
  },
  [Reasons.rateLimited]: {
    title: 'Too many attempts',
    what: 'Too many sign-in requests came from your network in a short time.',
    todo: 'Wait a minute, then try again.',
    retry: true,
  },
  [Reasons.badRequest]: {
    title: 'Bad request',
    what: 'The request could not be understood.',
    todo: 'Start from the button below.',
    retry: true,
  },
  [Reasons.notFound]: {
    title: 'Page not found',
    what: 'There is no page at this address.',
    todo: 'Start from the button below.',
    retry: true,
  },
  [Reasons.internalError]: {
    title: 'Something went wrong',
    what: 'This service hit an unexpected problem.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
};

/** The error page for a reason, with the reference (request ID) the log line carries. */
export function renderErrorPage(reason: Reason, reference: string, ctx: PageContext, userDetail?: string): string {
  const e = EXPLANATIONS[reason];
  return layout(
    ctx.orgName === undefined ? e.title : `${e.title}: ${ctx.orgName}`,
    `${ctx.orgName === undefined ? '' : `<p class="ref">${escapeHtml(ctx.orgName)}: CommBox sign-in</p>\n`}<h1>${escapeHtml(e.title)}</h1>
<p>${escapeHtml(e.what)}</p>
${userDetail ? `<p>${escapeHtml(userDetail)}</p>\n` : ''}<p>${escapeHtml(e.todo)}</p>
${e.retry ? `<a class="button" href="${escapeHtml(ctx.loginUrl)}">Try again</a>\n` : ''}${helpLine(ctx)}<p class="ref">Reference: <code>${escapeHtml(reference)}</code> (${escapeHtml(reason)})</p>`,
  );
}

/** The same answer as JSON, for API clients. */
export function errorJson(
  reason: Reason,
  reference: string,
  userDetail?: string,
  ctx?: PageContext,
): Record<string, string> {
  const e = EXPLANATIONS[reason];
  const out: Record<string, string> = { error: reason, title: e.title, message: e.what, action: e.todo, reference };
  if (userDetail) out['detail'] = userDetail;
  if (ctx?.helpUrl !== undefined) out['help'] = ctx.helpUrl;
  return out;
}

/** The DRY_RUN page: the identity CommBox would receive, the rules passed, the claim names. */
export function renderDryRun(preview: DryRunPreview, reference: string, ctx: PageContext): string {
  const rows = Object.entries(preview.ticketRequest)
    .map(
      ([k, v]) =>
        `<tr><th scope="row"><code>${escapeHtml(k)}</code></th><td><code>${escapeHtml(JSON.stringify(v))}</code></td></tr>`,
    )
    .join('\n');
  return layout(
    'Dry run: no ticket was requested',
    `<h1>Dry run: no ticket was requested</h1>
<p>The sign-in with IdP <code>${escapeHtml(preview.idp)}</code> passed every check. With <code>DRY_RUN=false</code> the bridge would now ask CommBox for a one-time ticket with this request, and send the browser to <code>${escapeHtml(preview.destination)}</code>.</p>
<h2>Ticket request (<code>POST /auth/ticket</code>, <code>data</code>)</h2>
<table>
${rows}
</table>
<h2>Access rules passed</h2>
<ul>
${preview.rulesPassed.map((r) => `<li>${escapeHtml(r)}</li>`).join('\n')}
</ul>
<h2>Claims received (names only)</h2>
<p>${preview.claimNames.map((c) => `<code>${escapeHtml(c)}</code>`).join(', ')}</p>
${helpLine(ctx)}<p class="ref">Reference: <code>${escapeHtml(reference)}</code> (dry_run)</p>`,
  );
}
