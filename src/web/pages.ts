/**
 * The pages people see: the landing page and every error page, as small,
 * self-contained, accessible HTML (or JSON when the client asks for it), in
 * the reader's language. No external assets; the only style is inline and
 * allowed by its hash, the only image the company's logo, inline
 * (./branding.ts). The words are in config/locales/ (./texts.ts formats
 * them); this module only renders them, through the `html` template, which
 * escapes every value it is given.
 */
import { RTL_LANGUAGES, type Language } from '../config/page-catalogue.js';
import { escapedValue, shownValue } from '../config/shown-values.js';
import { Reasons, type Reason, type UserDetail } from '../errors.js';
import type { DryRunRefusal } from '../login/dry-run-refusal.js';
import type { DryRunPreview } from '../login/preview.js';
import { TRANSACTION_TTL_MS } from '../login/transaction.js';
import { pageLook, type Branding, type PageLook } from './branding.js';
import { html, joinHtml, raw, type SafeHtml } from './html.js';
import type { LanguageChoice } from './language.js';
import { listMarkup, PageTexts, type TextValue } from './texts.js';

// Logical properties only (margin-inline, text-align:start), so a right-to-left
// page mirrors; codes (references, reason and error codes, claim names) read
// left to right, isolated from the sentence around them. A focused link (the
// button too) has two rings, WCAG 2.2's 3:1 each (1.4.11, 2.4.13) whatever the
// accent: a white one against the button (ORG_COLOR has 4.5:1 with white, see
// config/branding.ts) and a dark one, the text colour, against it and the page.
// A word longer than the line (DRY_RUN's `MAP_USERNAME=preferred_username:`)
// breaks instead of running out of main: a right-to-left page does not scroll
// to the right, so at 360 px it was cut off.
const STYLE = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24;text-align:start}
main{max-width:36rem;margin-block:2rem;margin-inline:auto;padding:1.5rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);overflow-wrap:anywhere}
h1{font-size:1.4rem;margin:0 0 .75rem}p{margin:.5rem 0}
.button{display:inline-block;margin-block-start:1rem;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;border-radius:6px;text-decoration:none;font-weight:600}
a:focus-visible{outline:3px solid #1b1f24;outline-offset:2px;box-shadow:0 0 0 2px #fff}
.ref{margin-block-start:1.5rem;color:#4a525c;font-size:.875rem}code{font-family:ui-monospace,monospace;direction:ltr;unicode-bidi:isolate}
th{text-align:start}
.org{margin-block:0 .5rem;color:#4a525c;font-size:.875rem}
@media (max-width:400px){main{margin:0;border-radius:0}}`;

/** The pages' style with the company's look on top, and the CSP that allows exactly it: made once, at start-up. */
export const pagesLook = (branding: Branding = {}): PageLook => pageLook(STYLE, branding);
const PLAIN_LOOK = pagesLook();
/** CSP for the bridge's pages without a company look: nothing loads but the inline style above. */
export const PAGE_CSP = PLAIN_LOOK.csp;

/**
 * What every page says of the company: its name and help desk (`ORG_NAME`,
 * `HELP_URL`), where to sign in, the languages offered (`PAGE_LANGUAGES`,
 * `PAGE_DEFAULT_LANGUAGE`; unset: all, English) and the words
 * (`PAGE_TEXTS_FILE` over the catalogues; unset: the catalogues).
 */
export interface PageContext extends LanguageChoice {
  readonly loginUrl: string;
  readonly orgName?: string | undefined;
  readonly helpUrl?: string | undefined;
  readonly texts?: PageTexts | undefined;
  /** The company's look (`pagesLook`); undefined: the plain one. */
  readonly look?: PageLook | undefined;
}

const CATALOGUE_TEXTS = new PageTexts();
const textsOf = (ctx: PageContext) => ctx.texts ?? CATALOGUE_TEXTS;

/** Whether "Try again" makes sense for a reason (the page then shows the button): behaviour, not words. */
const RETRY: Readonly<Record<Reason, boolean>> = {
  [Reasons.loginCookieMissing]: true,
  [Reasons.loginCookieInvalid]: true,
  [Reasons.loginExpired]: true,
  [Reasons.stateMismatch]: true,
  [Reasons.callbackReplayed]: true,
  [Reasons.callbackInvalid]: true,
  [Reasons.idpError]: true,
  [Reasons.idpUnavailable]: true,
  [Reasons.issMismatch]: true,
  [Reasons.tokenExchangeFailed]: true,
  [Reasons.idTokenInvalid]: true,
  [Reasons.userinfoFailed]: true,
  [Reasons.userinfoSubMismatch]: true,
  [Reasons.authTooOld]: true,
  [Reasons.reauthenticationMissing]: true,
  [Reasons.acrNotSatisfied]: true,
  [Reasons.noAccessRule]: false,
  [Reasons.emailUnverified]: false,
  [Reasons.groupNotAllowed]: false,
  [Reasons.emailDomainNotAllowed]: false,
  [Reasons.usernameWithoutDomain]: false,
  [Reasons.hostedDomainNotAllowed]: true,
  [Reasons.groupsOverage]: false,
  [Reasons.claimMissing]: false,
  [Reasons.chatChannelNotAllowed]: false,
  [Reasons.commboxUnauthorized]: false,
  [Reasons.commboxRejected]: true,
  [Reasons.commboxUnavailable]: true,
  [Reasons.commboxTimeout]: true,
  [Reasons.commboxBadResponse]: true,
  [Reasons.loginTimeout]: true,
  [Reasons.initiateUnknownIssuer]: true,
  [Reasons.initiateBadTarget]: true,
  [Reasons.rateLimited]: true,
  [Reasons.badRequest]: true,
  [Reasons.notFound]: true,
  [Reasons.internalError]: true,
};

/** The numbers a reason's words count with (plurals). */
const REASON_VALUES: Readonly<Partial<Record<Reason, Readonly<Record<string, number>>>>> = {
  [Reasons.loginExpired]: { minutes: TRANSACTION_TTL_MS / 60_000 },
};

type ReasonPart = 'title' | 'what' | 'todo';
const reasonKey = (reason: Reason, part: ReasonPart) => `reason.${reason}.${part}` as const;

// A value inside a sentence is isolated (<bdi>, or <code> by the style), and its direction and control
// characters are shown as U+FFFD: a stray U+2069 (PDI) inside it would end the isolation, and a U+202E after
// it turn the rest of the sentence around.
/** An organisation's name inside a sentence: its own direction, whatever the sentence's. */
const isolated = (value: string) => html`<bdi>${shownValue(value)}</bdi>`;
/** A code (an error code, a claim name): left to right, isolated by the style. */
const code = (value: string) => html`<code>${shownValue(value)}</code>`;
/** An address (an email) inside a sentence: left to right and isolated in any page, in the sentence's font. */
const address = (value: string) => html`<bdi dir="ltr">${shownValue(value)}</bdi>`;

/** The help desk line, when `HELP_URL` is set. */
function helpLine(ctx: PageContext, lang: Language = 'en'): SafeHtml | '' {
  if (ctx.helpUrl === undefined) return '';
  const texts = textsOf(ctx);
  const who =
    ctx.orgName === undefined
      ? texts.markup(lang, 'help.link')
      : texts.markup(lang, 'help.link_with_org', { org: isolated(ctx.orgName) });
  return html`<p>${texts.markup(lang, 'help.label')} <a href="${ctx.helpUrl}">${who}</a></p>\n`;
}

/** The company's logo, named by `ORG_NAME` for those who cannot see it. */
function logo(ctx: PageContext): SafeHtml | '' {
  const src = ctx.look?.logoSrc;
  return src === undefined ? '' : html`<img class="logo" src="${src}" alt="${shownValue(ctx.orgName ?? '')}">\n`;
}

/** Above an error or sign-out page's heading: the logo, then the line naming the company (`ORG_NAME`). */
function logoAndBanner(ctx: PageContext, texts: PageTexts, lang: Language): SafeHtml {
  const org = ctx.orgName;
  return html`${logo(ctx)}${org !== undefined && html`<p class="org">${texts.markup(lang, 'error.banner', { org: isolated(org) })}</p>\n`}`;
}

function layout(title: string, body: SafeHtml, ctx: PageContext, lang: Language = 'en'): string {
  return html`<!doctype html>
<html lang="${lang}"${RTL_LANGUAGES.has(lang) && raw(' dir="rtl"')}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${raw((ctx.look ?? PLAIN_LOOK).style)}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`.toString();
}

/** The landing page: what the intranet links to when it does not link `/login`. */
export function renderLanding(ctx: PageContext, lang: Language = ctx.defaultLanguage ?? 'en'): string {
  const texts = textsOf(ctx);
  const org = ctx.orgName;
  return layout(
    org === undefined ? texts.text(lang, 'landing.title') : texts.text(lang, 'landing.title_with_org', { org }),
    html`${logo(ctx)}<h1>${texts.markup(lang, 'landing.heading')}</h1>
<p>${org === undefined ? texts.markup(lang, 'landing.sign_in') : texts.markup(lang, 'landing.sign_in_with_org', { org: isolated(org) })}</p>
<a class="button" href="${ctx.loginUrl}">${texts.markup(lang, 'landing.button')}</a>
${helpLine(ctx, lang)}`,
    ctx,
    lang,
  );
}

/** An IdP the `/logged-out` page offers to sign out of: its name, and its end-session URL. */
export interface IdpSignOut {
  /** `default` for the OIDC_* IdP (the button then says "your company account"), else its OIDC_IDPS name. */
  readonly idp: string;
  readonly url: string;
}

/**
 * `/logged-out`, CommBox's sign-out URL: CommBox ended its session and sent the agent here. It ends
 * nothing itself; it offers to open CommBox again, and to sign out of the IdPs set to `OIDC_LOGOUT=end_session`
 * (`signOuts`); `back`: the IdP sent the browser back here (`?done=1`), so it is not offered again.
 */
export function renderLoggedOut(
  ctx: PageContext,
  lang: Language = ctx.defaultLanguage ?? 'en',
  signOuts: readonly IdpSignOut[] = [],
  back = false,
): string {
  const texts = textsOf(ctx);
  const org = ctx.orgName;
  const idpButtons = back
    ? []
    : signOuts.map(
        (s) =>
          html`<a class="button" href="${s.url}">${
            s.idp === 'default'
              ? texts.markup(lang, 'logged_out.idp_button')
              : texts.markup(lang, 'logged_out.idp_button_named', { idp: isolated(s.idp) })
          }</a>
`,
      );
  return layout(
    org === undefined ? texts.text(lang, 'logged_out.title') : texts.text(lang, 'logged_out.title_with_org', { org }),
    html`${logoAndBanner(ctx, texts, lang)}<h1>${texts.markup(lang, 'logged_out.heading')}</h1>
<p>${texts.markup(lang, 'logged_out.what')}</p>
<p>${back ? texts.markup(lang, 'logged_out.idp_done') : texts.markup(lang, 'logged_out.company_session')}</p>
<a class="button" href="${ctx.loginUrl}">${texts.markup(lang, 'logged_out.button')}</a>
${joinHtml(idpButtons, '')}${helpLine(ctx, lang)}`,
    ctx,
    lang,
  );
}

/** A user detail's words as HTML: an email as an address, codes and claim names as codes, counts as numbers. */
function detailMarkup(texts: PageTexts, lang: Language, detail: UserDetail): SafeHtml {
  const values: Record<string, SafeHtml | number> = {};
  for (const [name, v] of Object.entries(detail.values) as [string, TextValue][])
    values[name] =
      typeof v === 'number'
        ? v
        : typeof v === 'string'
          ? name === 'email'
            ? address(v)
            : code(v)
          : listMarkup(lang, v, code);
  return texts.markup(lang, detail.key, values);
}

/**
 * The error page for a reason, with the reference (request ID) the log line
 * carries; with `dryRun` (DRY_RUN only), the operator's view of the refusal
 * below it, in English like the dry-run page.
 */
export function renderErrorPage(
  reason: Reason,
  reference: string,
  ctx: PageContext,
  userDetail?: UserDetail,
  lang: Language = ctx.defaultLanguage ?? 'en',
  dryRun?: DryRunRefusal,
): string {
  const texts = textsOf(ctx);
  const values = REASON_VALUES[reason];
  const title = texts.text(lang, reasonKey(reason, 'title'));
  const org = ctx.orgName;
  // In a left-to-right page the reason code needs no isolation, and the line keeps the shape log tools read.
  const reasonCode = RTL_LANGUAGES.has(lang) ? html`<bdi dir="ltr">${reason}</bdi>` : html`${reason}`;
  return layout(
    org === undefined ? title : texts.text(lang, 'error.title_with_org', { title, org }),
    html`${logoAndBanner(ctx, texts, lang)}<h1>${texts.markup(lang, reasonKey(reason, 'title'))}</h1>
<p>${texts.markup(lang, reasonKey(reason, 'what'), values)}</p>
${userDetail && html`<p>${detailMarkup(texts, lang, userDetail)}</p>\n`}<p>${texts.markup(lang, reasonKey(reason, 'todo'), values)}</p>
${RETRY[reason] && html`<a class="button" href="${ctx.loginUrl}">${texts.markup(lang, 'error.retry')}</a>\n`}${helpLine(ctx, lang)}${
      dryRun &&
      html`<section lang="en" dir="ltr">
${renderDryRunRefusal(dryRun)}</section>
`
    }<p class="ref">${texts.markup(lang, 'error.reference', { reference: code(reference), reason: reasonCode })}</p>`,
    ctx,
    lang,
  );
}

/**
 * The same answer as JSON, for API clients: `error` is the stable reason code
 * to act on; the words are for a person, in the page's language (`lang`).
 */
export function errorJson(
  reason: Reason,
  reference: string,
  userDetail?: UserDetail,
  ctx?: PageContext,
  lang: Language = ctx?.defaultLanguage ?? 'en',
): Record<string, string> {
  const texts = ctx === undefined ? CATALOGUE_TEXTS : textsOf(ctx);
  const values = REASON_VALUES[reason];
  const out: Record<string, string> = {
    error: reason,
    title: texts.text(lang, reasonKey(reason, 'title')),
    message: texts.text(lang, reasonKey(reason, 'what'), values),
    action: texts.text(lang, reasonKey(reason, 'todo'), values),
    reference,
  };
  if (userDetail) out['detail'] = texts.text(lang, userDetail.key, userDetail.values);
  if (ctx?.helpUrl !== undefined) out['help'] = ctx.helpUrl;
  return out;
}

/**
 * The DRY_RUN page: the identity CommBox would receive, the rules passed, the
 * claim names. Its words stay here: it is the administrator's test page, in
 * the configuration's terms, not a page for users.
 */
export function renderDryRun(preview: DryRunPreview, reference: string, ctx: PageContext): string {
  const rows = Object.entries(preview.ticketRequest).map(
    // The request's values as JSON, their direction and control characters escaped (`\u202E`) like the
    // claims in the refusal's view: the operator sees what CommBox would receive.
    ([k, v]) =>
      html`<tr><th scope="row"><code>${k}</code></th><td><code>${v !== undefined && escapedValue(JSON.stringify(v))}</code></td></tr>`,
  );
  const rules = preview.rulesPassed.map((r) => html`<li>${r}</li>`);
  const claims = preview.claimNames.map((c) => html`<code>${c}</code>`);
  return layout(
    'Dry run: no ticket was requested',
    html`<h1>Dry run: no ticket was requested</h1>
<p>The sign-in with IdP <code>${preview.idp}</code> passed every check. With <code>DRY_RUN=false</code> the bridge would now ask CommBox for a one-time ticket with this request, and send the browser to <code>${preview.destination}</code>.</p>
<h2>Ticket request (<code>POST /auth/ticket</code>, <code>data</code>)</h2>
<table>
${joinHtml(rows, '\n')}
</table>
<h2>Access rules passed</h2>
<ul>
${joinHtml(rules, '\n')}
</ul>
<h2>Claims received (names only)</h2>
<p>${joinHtml(claims, ', ')}</p>
${helpLine(ctx)}<p class="ref">Reference: <code>${reference}</code> (dry_run)</p>`,
    ctx,
  );
}

/**
 * DRY_RUN's part of a refusal page: the rule that refused, what it saw and the
 * claim names with their sources. In the configuration's terms, like
 * {@link renderDryRun}: it is for the administrator setting the bridge up.
 */
export function renderDryRunRefusal(refusal: DryRunRefusal): SafeHtml {
  const saw = refusal.saw.map((line) => html`<li>${line}</li>`);
  const claims = refusal.claimNames.map((c) => html`<code>${c}</code>`);
  return html`<h2>Dry run: the rule that refused</h2>
<p><code>${refusal.rule}</code> refused the sign-in with IdP <code>${refusal.idp}</code> (<code>${refusal.reason}</code>${refusal.detail && html`: ${refusal.detail}`}).</p>
${saw.length > 0 && html`<h2>What it saw</h2>\n<ul>\n${joinHtml(saw, '\n')}\n</ul>\n`}<h2>Claims received (names only)</h2>
<p>Read from: ${refusal.sources.join(', ')}.</p>
<p>${joinHtml(claims, ', ')}</p>
<p>Shown because <code>DRY_RUN=true</code>; without it this page ends above. None of it is logged.</p>
`;
}
