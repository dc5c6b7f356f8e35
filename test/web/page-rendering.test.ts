/**
 * The pages byte for byte: the landing page, an error page with and without
 * ORG_NAME, HELP_URL and a detail, and the DRY_RUN page, as they render for
 * hostile input. A change of the words or the markup shows here as a diff.
 */
import t from 'tap';
import { PAGE_CSP, renderDryRun, renderErrorPage, renderLanding } from '../../src/web/pages.js';

const ctx = {
  loginUrl: '/login?x=1&y="2"',
  orgName: `Acme <Bank> & "Co" 'x'`,
  helpUrl: 'https://help.example.com/it?topic=commbox&x="<y>',
};
/** The page up to its inline style, and from the end of it (the style is pinned by its hash in PAGE_CSP). */
const head = (page: string) => page.slice(0, page.indexOf('<style>'));
const rest = (page: string) => page.slice(page.indexOf('</style>'));

t.test('the inline style is the one the CSP allows by its hash', async (t) => {
  t.equal(
    PAGE_CSP,
    "default-src 'none'; style-src 'sha256-0hsdmDrGwhuefA87u3kGblUo4PizUJuo+XQkxuO4uMI='; img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  );
});

t.test('the landing page names the company and links its help desk, escaped', async (t) => {
  const page = renderLanding(ctx);
  t.equal(
    head(page),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Open CommBox: Acme &lt;Bank&gt; &amp; &quot;Co&quot; &#39;x&#39;</title>
`,
  );
  t.equal(
    rest(page),
    `</style>
</head>
<body>
<main>
<h1>CommBox</h1>
<p>Sign in with your <bdi>Acme &lt;Bank&gt; &amp; &quot;Co&quot; &#39;x&#39;</bdi> account to open CommBox.</p>
<a class="button" href="/login?x=1&amp;y=&quot;2&quot;">Open CommBox</a>
<p>Help: <a href="https://help.example.com/it?topic=commbox&amp;x=&quot;&lt;y&gt;">the help desk of <bdi>Acme &lt;Bank&gt; &amp; &quot;Co&quot; &#39;x&#39;</bdi></a></p>

</main>
</body>
</html>
`,
  );
});

t.test('the landing page without ORG_NAME and HELP_URL', async (t) => {
  const page = renderLanding({ loginUrl: '/login' });
  t.equal(
    head(page),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Open CommBox</title>
`,
  );
  t.equal(
    rest(page),
    `</style>
</head>
<body>
<main>
<h1>CommBox</h1>
<p>Sign in with your company account to open CommBox.</p>
<a class="button" href="/login">Open CommBox</a>

</main>
</body>
</html>
`,
  );
});

t.test("an error page with the company, the help desk, a detail and 'Try again', escaped", async (t) => {
  const page = renderErrorPage('idp_error', 'req-<1>', ctx, {
    key: 'detail.idp_answered',
    values: { error: '<access_denied>' },
  });
  t.equal(
    head(page),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>The sign-in service did not sign you in: Acme &lt;Bank&gt; &amp; &quot;Co&quot; &#39;x&#39;</title>
`,
  );
  t.equal(
    rest(page),
    `</style>
</head>
<body>
<main>
<p class="org"><bdi>Acme &lt;Bank&gt; &amp; &quot;Co&quot; &#39;x&#39;</bdi>: CommBox sign-in</p>
<h1>The sign-in service did not sign you in</h1>
<p>Your company sign-in service ended the sign-in without signing you in.</p>
<p>The sign-in service answered: <code>&lt;access_denied&gt;</code>.</p>
<p>Try again. If this keeps happening, contact your IT service desk and quote the reference below.</p>
<a class="button" href="/login?x=1&amp;y=&quot;2&quot;">Try again</a>
<p>Help: <a href="https://help.example.com/it?topic=commbox&amp;x=&quot;&lt;y&gt;">the help desk of <bdi>Acme &lt;Bank&gt; &amp; &quot;Co&quot; &#39;x&#39;</bdi></a></p>
<p class="ref">Reference: <code>req-&lt;1&gt;</code> (idp_error)</p>
</main>
</body>
</html>
`,
  );
});

t.test('an error page without retry, company or help desk', async (t) => {
  const page = renderErrorPage('group_not_allowed', 'req-2', { loginUrl: '/login' });
  t.equal(
    head(page),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>You do not have access to CommBox</title>
`,
  );
  t.equal(
    rest(page),
    `</style>
</head>
<body>
<main>
<h1>You do not have access to CommBox</h1>
<p>You are signed in, but your account is not in a group that may use CommBox.</p>
<p>Ask your IT service desk or manager for CommBox access, quoting the reference below.</p>
<p class="ref">Reference: <code>req-2</code> (group_not_allowed)</p>
</main>
</body>
</html>
`,
  );
});

t.test('the DRY_RUN page lists the ticket request, the rules passed and the claim names, escaped', async (t) => {
  const page = renderDryRun(
    {
      idp: 'default',
      destination: 'https://x.commbox.io/login?a=1&b=2',
      ticketRequest: { brand: 'acme', username: 'a<b>@x', oneTimeUse: true },
      rulesPassed: ['ALLOWED_GROUPS: "agents"', 'email_verified'],
      claimNames: ['email (id_token)', 'groups (userinfo)'],
    },
    'req-3',
    { loginUrl: '/login' },
  );
  t.equal(
    head(page),
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Dry run: no ticket was requested</title>
`,
  );
  t.equal(
    rest(page),
    `</style>
</head>
<body>
<main>
<h1>Dry run: no ticket was requested</h1>
<p>The sign-in with IdP <code>default</code> passed every check. With <code>DRY_RUN=false</code> the bridge would now ask CommBox for a one-time ticket with this request, and send the browser to <code>https://x.commbox.io/login?a=1&amp;b=2</code>.</p>
<h2>Ticket request (<code>POST /auth/ticket</code>, <code>data</code>)</h2>
<table>
<tr><th scope="row"><code>brand</code></th><td><code>&quot;acme&quot;</code></td></tr>
<tr><th scope="row"><code>username</code></th><td><code>&quot;a&lt;b&gt;@x&quot;</code></td></tr>
<tr><th scope="row"><code>oneTimeUse</code></th><td><code>true</code></td></tr>
</table>
<h2>Access rules passed</h2>
<ul>
<li>ALLOWED_GROUPS: &quot;agents&quot;</li>
<li>email_verified</li>
</ul>
<h2>Claims received (names only)</h2>
<p><code>email (id_token)</code>, <code>groups (userinfo)</code></p>
<p class="ref">Reference: <code>req-3</code> (dry_run)</p>
</main>
</body>
</html>
`,
  );
});

t.test("the DRY_RUN page shows a ticket value's direction controls escaped (\\u202E), never raw", async (t) => {
  // Raw, U+2069 would end the <code>'s isolation and U+202E turn the rest of the line around.
  const page = renderDryRun(
    {
      idp: 'default',
      destination: 'https://x.commbox.io/login',
      ticketRequest: { brand: 'acme', username: 'x\u2069\u202eadmin@x', firstName: undefined, oneTimeUse: true },
      rulesPassed: [],
      claimNames: [],
    },
    'req-4',
    { loginUrl: '/login' },
  );
  t.notMatch(page, /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/, 'no direction control on the page');
  t.ok(page.includes('<td><code>&quot;x\\u2069\\u202Eadmin@x&quot;</code></td>'), 'escaped as JSON writes one');
  t.ok(page.includes('<th scope="row"><code>firstName</code></th><td><code></code></td>'), 'an absent value: empty');
});
