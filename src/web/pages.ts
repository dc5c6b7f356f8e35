/**
 * The pages people see: the landing page and every error page, as small,
 * self-contained, accessible HTML (or JSON when the client asks for it).
 * No external assets; the only style is inline and allowed by its hash, the
 * only image the company's logo, inline (./branding.ts).
 * The words are in ./page-texts.ts; this module only renders them, through
 * the `html` template, which escapes every value it is given.
 */
import type { Reason } from '../errors.js';
import type { DryRunRefusal } from '../login/dry-run-refusal.js';
import type { DryRunPreview } from '../login/preview.js';
import { pageLook, type Branding, type PageLook } from './branding.js';
import { html, joinHtml, raw, type SafeHtml } from './html.js';
import { PAGE_TEXTS, REASON_TEXTS } from './page-texts.js';

const STYLE = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1b1f24}
main{max-width:36rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin:0 0 .75rem}p{margin:.5rem 0}
.button{display:inline-block;margin-top:1rem;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;border-radius:6px;text-decoration:none;font-weight:600}
.button:focus{outline:3px solid #f2b600;outline-offset:2px}
.ref{margin-top:1.5rem;color:#4a525c;font-size:.875rem}code{font-family:ui-monospace,monospace}
.org{margin-block:0 .5rem;color:#4a525c;font-size:.875rem}
@media (max-width:400px){main{margin:0;border-radius:0}}`;

/** The pages' style with the company's look on top, and the CSP that allows exactly it: made once, at start-up. */
export const pagesLook = (branding: Branding = {}): PageLook => pageLook(STYLE, branding);
const PLAIN_LOOK = pagesLook();
/** CSP for the bridge's pages without a company look: nothing loads but the inline style above. */
export const PAGE_CSP = PLAIN_LOOK.csp;

/** What every page says of the company: its name and help desk (`ORG_NAME`, `HELP_URL`), and where to sign in. */
export interface PageContext {
  readonly loginUrl: string;
  readonly orgName?: string | undefined;
  readonly helpUrl?: string | undefined;
  /** The company's look (`pagesLook`); undefined: the plain one. */
  readonly look?: PageLook | undefined;
}

/** The page text `text` with its `{name}` placeholders filled in (plain text: the template escapes it). */
function fill(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    Object.hasOwn(values, name) ? values[name]! : placeholder,
  );
}

/** The help desk line, when `HELP_URL` is set. */
function helpLine(ctx: PageContext): SafeHtml | '' {
  if (ctx.helpUrl === undefined) return '';
  const t = PAGE_TEXTS.help;
  const who = ctx.orgName === undefined ? t.link : fill(t.linkWithOrg, { org: ctx.orgName });
  return html`<p>${t.label} <a href="${ctx.helpUrl}">${who}</a></p>\n`;
}

/** The company's logo, named by `ORG_NAME` for those who cannot see it. */
function logo(ctx: PageContext): SafeHtml | '' {
  const src = ctx.look?.logoSrc;
  return src === undefined ? '' : html`<img class="logo" src="${src}" alt="${ctx.orgName ?? ''}">\n`;
}

function layout(title: string, body: SafeHtml, ctx: PageContext): string {
  return html`<!doctype html>
<html lang="en">
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
export function renderLanding(ctx: PageContext): string {
  const t = PAGE_TEXTS.landing;
  const org = ctx.orgName;
  return layout(
    org === undefined ? t.title : fill(t.titleWithOrg, { org }),
    html`${logo(ctx)}<h1>${t.heading}</h1>
<p>${org === undefined ? t.signIn : fill(t.signInWithOrg, { org })}</p>
<a class="button" href="${ctx.loginUrl}">${t.button}</a>
${helpLine(ctx)}`,
    ctx,
  );
}

/**
 * The error page for a reason, with the reference (request ID) the log line
 * carries; with `dryRun` (DRY_RUN only), the operator's view of the refusal below it.
 */
export function renderErrorPage(
  reason: Reason,
  reference: string,
  ctx: PageContext,
  userDetail?: string,
  dryRun?: DryRunRefusal,
): string {
  const e = REASON_TEXTS[reason];
  const t = PAGE_TEXTS.error;
  const org = ctx.orgName;
  return layout(
    org === undefined ? e.title : fill(t.titleWithOrg, { title: e.title, org }),
    html`${logo(ctx)}${org !== undefined && html`<p class="org">${fill(t.banner, { org })}</p>\n`}<h1>${e.title}</h1>
<p>${e.what}</p>
${userDetail && html`<p>${userDetail}</p>\n`}<p>${e.todo}</p>
${e.retry && html`<a class="button" href="${ctx.loginUrl}">${t.retry}</a>\n`}${helpLine(ctx)}${dryRun && renderDryRunRefusal(dryRun)}<p class="ref">${t.reference} <code>${reference}</code> (${reason})</p>`,
    ctx,
  );
}

/** The same answer as JSON, for API clients. */
export function errorJson(
  reason: Reason,
  reference: string,
  userDetail?: string,
  ctx?: PageContext,
): Record<string, string> {
  const e = REASON_TEXTS[reason];
  const out: Record<string, string> = { error: reason, title: e.title, message: e.what, action: e.todo, reference };
  if (userDetail) out['detail'] = userDetail;
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
    ([k, v]) => html`<tr><th scope="row"><code>${k}</code></th><td><code>${JSON.stringify(v)}</code></td></tr>`,
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
