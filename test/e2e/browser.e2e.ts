/**
 * What people do, in a real browser: Debian's Chromium driven by playwright-core
 * against the demo stack (the real oidc-provider IdP and the CommBox sandbox),
 * started here on free ports. Hebrew and Arabic pages (Accept-Language he-IL,
 * ar) are checked mirrored, with codes and addresses left to right inside their
 * sentences. Screenshots go to test-output/e2e/ (those of right-to-left pages
 * at 1280 and 360 px wide, named <lang>-…-<width>.png).
 *
 *   npm run test:e2e     (needs /usr/bin/chromium: apt-get install -y chromium)
 */
import t, { type Test } from 'tap';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { startDemoStack, type Stack } from '../helpers/stack.js';
import { build } from '../helpers/build.js';
import { solidPng, svgLogo, writeLogo } from '../helpers/images.js';
import { DEMO_CHAT_CHANNEL } from '../../dev/commbox-sandbox.js';
import { DEMO_USERS, type DemoIdp, type DemoUser } from '../../dev/idp.js';

const OUT = new URL('../../test-output/e2e/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let browser: Browser;
let s: Stack<DemoIdp>;

t.before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  s = await startDemoStack({
    env: (sb) => ({
      ALLOWED_GROUPS: 'commbox-agents',
      COMMBOX_CHAT_URL: sb.chatUrl,
      COMMBOX_CHAT_CHANNELS: DEMO_CHAT_CHANNEL,
      OIDC_LOGOUT: 'end_session',
    }),
  });
});
t.teardown(async () => {
  await browser?.close();
  await s?.close();
});

/** A fresh browser profile that records every request and CSP complaint; `locale` sets its Accept-Language. */
async function context(
  t: Test,
  options: BrowserContextOptions = {},
): Promise<{ ctx: BrowserContext; page: Page; requests: string[]; problems: string[] }> {
  const ctx = await browser.newContext(options);
  t.teardown(() => ctx.close());
  const page = await ctx.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  ctx.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  return { ctx, page, requests, problems };
}

async function signIn(page: Page, username: string) {
  await page.waitForURL(/\/interaction\//);
  await page.fill('#username', username);
  await page.fill('#password', 'demo');
  await page.click('button[type=submit]');
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${OUT}${name}.png`, fullPage: true });
}

/** WCAG 2.x relative luminance and contrast ratio of two computed colours, for the scripts run in the page. */
const WCAG_JS = `
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };`;

/** WCAG contrast ratios of the main text, the button and the links, computed in the page. */
const CONTRAST_SCRIPT = `(() => {${WCAG_JS}
  const main = document.querySelector('main');
  const out = [ratio(getComputedStyle(main).color, getComputedStyle(main).backgroundColor)];
  const button = document.querySelector('.button');
  if (button) out.push(ratio(getComputedStyle(button).color, getComputedStyle(button).backgroundColor));
  for (const a of main.querySelectorAll('a:not(.button)')) out.push(ratio(getComputedStyle(a).color, getComputedStyle(main).backgroundColor));
  return out;
})()`;

/**
 * The focused element's focus ring, if it is a link of the page: its outline,
 * and the contrast of the outline with the page and with the inner ring
 * (box-shadow), and of the inner ring with the button.
 */
const FOCUS_SCRIPT = `(() => {${WCAG_JS}
  const a = document.activeElement;
  const main = document.querySelector('main');
  const links = [...main.querySelectorAll('a')];
  if (!links.includes(a)) return null;
  const s = getComputedStyle(a);
  const ring = (s.boxShadow.match(/rgba?\\([^)]*\\)/) || [])[0];
  return {
    index: links.indexOf(a),
    button: a.classList.contains('button'),
    focusVisible: a.matches(':focus-visible'),
    outline: s.outlineStyle + ' ' + s.outlineWidth,
    outlineWidth: parseFloat(s.outlineWidth),
    outlineOnPage: ratio(s.outlineColor, getComputedStyle(main).backgroundColor),
    outlineOnRing: ring ? ratio(s.outlineColor, ring) : 0,
    ringOnButton: ring ? ratio(ring, s.backgroundColor) : 0,
  };
})()`;

interface Focus {
  index: number;
  button: boolean;
  focusVisible: boolean;
  outline: string;
  outlineWidth: number;
  outlineOnPage: number;
  outlineOnRing: number;
  ringOnButton: number;
}

/** Tab reaches every link of the page (the button is one), each with a focus ring of 3:1 (WCAG 2.2 1.4.11, 2.4.13). */
async function checkKeyboard(t: Test, page: Page) {
  const links = await page.locator('main a').count();
  const reached = new Set<number>();
  for (let i = 0; i < 2 * links + 2 && reached.size < links; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate<Focus | null>(FOCUS_SCRIPT);
    if (f === null || reached.has(f.index)) continue;
    reached.add(f.index);
    const what = f.button ? 'the button' : `link ${f.index + 1}`;
    t.ok(f.focusVisible, `Tab: ${what} has keyboard focus (:focus-visible)`);
    t.ok(f.outline.startsWith('solid') && f.outlineWidth >= 2, `${what}: a visible outline (${f.outline})`);
    t.ok(f.outlineOnPage >= 3, `${what}: its outline has ${f.outlineOnPage.toFixed(1)}:1 with the page`);
    if (f.button) {
      t.ok(f.outlineOnRing >= 3, `${what}: the outline has ${f.outlineOnRing.toFixed(1)}:1 with the inner ring`);
      t.ok(f.ringOnButton >= 3, `${what}: the inner ring has ${f.ringOnButton.toFixed(1)}:1 with the button`);
    }
  }
  t.equal(reached.size, links, `Tab reaches every link (${links})`);
}

/** Readable, accessible, self-contained: checked on every page the bridge shows, in its language. */
async function checkBridgePage(t: Test, page: Page, requests: string[], problems: string[], lang = 'en') {
  t.equal(await page.getAttribute('html', 'lang'), lang, 'lang');
  t.equal(await page.getAttribute('html', 'dir'), lang === 'he' || lang === 'ar' ? 'rtl' : null, 'dir');
  t.ok((await page.title()).length > 0, 'a title');
  t.equal(await page.locator('h1').count(), 1, 'one heading');
  t.same(
    problems.filter((p) => /Content Security Policy|Refused/.test(p)),
    [],
    'no CSP violations',
  );
  t.same(
    requests.filter((u) => !u.startsWith('http://127.0.0.1:')),
    [],
    'no external assets',
  );
  // A string, not a function: tsx would add helpers the page does not have.
  const contrast = await page.evaluate<number[]>(CONTRAST_SCRIPT);
  for (const c of contrast) t.ok(c >= 4.5, `contrast ${c.toFixed(1)}:1 is at least 4.5:1`);
  await checkKeyboard(t, page);
  await page.setViewportSize({ width: 320, height: 640 });
  t.ok(await page.evaluate('document.documentElement.scrollWidth <= 320'), 'usable at 320 px: no horizontal scrolling');
  await page.setViewportSize({ width: 1280, height: 720 });
}

t.test('intranet link: landing page, "Open CommBox", the IdP form, CommBox as alice', async (t) => {
  const { page, requests, problems } = await context(t);
  await page.goto(`${s.base}/`);
  await checkBridgePage(t, page, requests, problems);
  await shot(page, 'landing');
  await page.getByRole('link', { name: 'Open CommBox' }).click();
  await signIn(page, 'alice');
  await page.waitForURL((u) => u.href.startsWith(s.sandbox.loginUrl));
  t.match(await page.textContent('h1'), /signed in as alice/);
  await shot(page, 'agent-landed');
  t.equal(s.sandbox.arrivals.at(-1)?.accepted, true, 'the sandbox accepted the ticket');
  t.equal((await page.goto(page.url()))?.status(), 401, 'the same ticket works once');

  // Signed in at the IdP already: the next click goes straight through.
  await page.goto(`${s.base}/`);
  await page.getByRole('link', { name: 'Open CommBox' }).click();
  await page.waitForURL((u) => u.href.startsWith(s.sandbox.loginUrl));
  t.match(await page.textContent('h1'), /signed in as alice/, 'no form the second time');
});

t.test(
  'sign-out: /logged-out, signed out of the IdP too, and "Open CommBox again" asks for the password',
  async (t) => {
    const alone = await context(t);
    await alone.page.goto(`${s.base}/logged-out`);
    await checkBridgePage(t, alone.page, alone.requests, alone.problems);
    await shot(alone.page, 'logged-out');

    const { page } = await context(t);
    await page.goto(`${s.base}/login`);
    await signIn(page, 'alice');
    await page.waitForURL((u) => u.href.startsWith(s.sandbox.loginUrl));
    await page.goto(`${s.base}/logged-out`);
    await page.getByRole('link', { name: 'Sign out of your company account too' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${s.base}/logged-out?done=1`);
    t.match(await page.textContent('main'), /You are back from your company sign-in service/);
    t.equal(await page.getByRole('link', { name: 'Sign out of your company account too' }).count(), 0, 'not again');
    await page.getByRole('link', { name: 'Open CommBox again' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/interaction/'));
    t.pass("the IdP's sign-in form: its session ended");
  },
);

t.test('launcher tile: GET /initiate with login_hint, and a POSTed tile', async (t) => {
  const { page } = await context(t);
  const q = new URLSearchParams({ iss: s.idp.issuer, login_hint: 'alice', target_link_uri: `${s.base}/` });
  await page.goto(`${s.base}/initiate?${q}`);
  await page.waitForURL(/\/interaction\//);
  t.equal(await page.inputValue('#username'), 'alice', 'login_hint reached the IdP form');
  await signIn(page, 'alice');
  await page.waitForURL((u) => u.href.startsWith(s.sandbox.loginUrl));
  t.match(await page.textContent('h1'), /signed in as alice/);

  const { page: tile } = await context(t);
  await tile.setContent(
    `<form method="post" action="${s.base}/initiate"><input type="hidden" name="iss" value="${s.idp.issuer}"><input type="hidden" name="login_hint" value="alice"><button>CommBox</button></form>`,
  );
  await tile.click('button');
  await signIn(tile, 'alice');
  await tile.waitForURL((u) => u.href.startsWith(s.sandbox.loginUrl));
  t.match(await tile.textContent('h1'), /signed in as alice/);
  await shot(tile, 'tile-post-landed');
});

t.test('customer chat access opens the channel', async (t) => {
  const { page } = await context(t);
  await page.goto(`${s.base}/chat/nex9tHPKdBkD_fAfbuUPABg%3d%3d`);
  await signIn(page, 'alice');
  await page.waitForURL((u) => u.href.startsWith(s.sandbox.chatUrl));
  t.equal(new URL(page.url()).pathname, '/chat/nex9tHPKdBkD_fAfbuUPABg%3d%3d');
  t.match(await page.textContent('h1'), /opened for alice@example\.com/);
  await shot(page, 'chat-landed');
});

for (const [name, user, text] of [
  ['refused-group', 'bob', /not in a group that may use CommBox/],
  ['refused-unverified', 'carol', /email address is not verified/],
] as const) {
  t.test(`refusal seen by a person: ${name}`, async (t) => {
    const before = s.ticketRequests();
    const { page, requests, problems } = await context(t);
    await page.goto(`${s.base}/login`);
    await signIn(page, user);
    await page.waitForURL(/\/callback\?/);
    t.match(await page.textContent('main'), text);
    t.match(await page.textContent('main'), /Reference: [0-9a-f]{16}/);
    await checkBridgePage(t, page, requests, problems);
    await shot(page, name);
    t.equal(s.ticketRequests(), before, 'no ticket was requested');
  });
}

t.test('refusal seen by a person: the login cookie deleted before the callback', async (t) => {
  const before = s.ticketRequests();
  const { ctx, page, requests, problems } = await context(t);
  await page.goto(`${s.base}/login`);
  await page.waitForURL(/\/interaction\//);
  const cookies = await ctx.cookies(s.base);
  t.ok(
    cookies.some((c) => c.name.startsWith('cbx_tx_')),
    'the login cookie was set',
  );
  await ctx.clearCookies({ name: /^cbx_tx_/ });
  await signIn(page, 'alice');
  await page.waitForURL(/\/callback\?/);
  t.match(await page.textContent('main'), /login cookie/);
  t.match(await page.textContent('main'), /allow cookies/);
  await checkBridgePage(t, page, requests, problems);
  await shot(page, 'refused-cookie-lost');
  await page.getByRole('link', { name: 'Try again' }).click();
  await page.waitForURL((u) => u.href.startsWith(s.sandbox.loginUrl));
  t.pass('"Try again" gets the person in');
  t.equal(s.ticketRequests(), before + 1);
});

t.test('refusal seen by a person: CommBox down', async (t) => {
  const { page, requests, problems } = await context(t);
  s.sandbox.fault = '500';
  t.teardown(() => {
    s.sandbox.fault = 'none';
  });
  await page.goto(`${s.base}/login`);
  await signIn(page, 'alice');
  await page.waitForURL(/\/callback\?/);
  t.match(await page.textContent('h1'), /CommBox is unavailable/);
  t.match(await page.textContent('main'), /Wait a minute and try again/);
  await checkBridgePage(t, page, requests, problems);
  await shot(page, 'refused-commbox-down');
});

t.test('two tabs started together both land (the older completed first)', async (t) => {
  const { ctx } = await context(t);
  const [a, b] = [await ctx.newPage(), await ctx.newPage()];
  await a.goto(`${s.base}/login`);
  await b.goto(`${s.base}/login`);
  await a.waitForURL(/\/interaction\//);
  await b.waitForURL(/\/interaction\//);
  // Tab a's login is the older: completed first, it leaves tab b's (a completed
  // login clears only the logins started before it).
  await signIn(a, 'alice');
  await a.waitForURL((u) => u.href.startsWith(s.sandbox.loginUrl));
  // Tab b's IdP interaction is still open; the IdP session from tab a may or may
  // not skip its form, so submit it only if it is still there.
  if ((await b.locator('#username').count()) > 0) await signIn(b, 'alice');
  await b.waitForURL((u) => u.href.startsWith(s.sandbox.loginUrl));
  t.match(await a.textContent('h1'), /signed in as alice/);
  t.match(await b.textContent('h1'), /signed in as alice/);
  await shot(a, 'two-tabs-a');
});

/** The company's logo and accent colour, and the spacing of what sits above the heading, measured in the page. */
const BRAND_SCRIPT = `(() => {
  const logo = document.querySelector('img.logo');
  const box = (e) => e && e.getBoundingClientRect();
  const main = document.querySelector('main');
  const banner = document.querySelector('main > p.org');
  const ref = document.querySelector('main > p.ref');
  return {
    logo: logo && { naturalWidth: logo.naturalWidth, complete: logo.complete, alt: logo.alt, height: box(logo).height },
    button: getComputedStyle(document.querySelector('.button')).backgroundColor,
    link: [...main.querySelectorAll('a:not(.button)')].map((a) => getComputedStyle(a).color),
    mainTop: box(main).top + parseFloat(getComputedStyle(main).paddingTop),
    logoBottom: logo ? box(logo).bottom : undefined,
    bannerTop: banner ? box(banner).top : undefined,
    refMarginTop: ref ? getComputedStyle(ref).marginTop : undefined,
  };
})()`;

interface BrandMeasures {
  logo: { naturalWidth: number; complete: boolean; alt: string; height: number } | null;
  button: string;
  link: string[];
  mainTop: number;
  logoBottom: number | undefined;
  bannerTop: number | undefined;
  refMarginTop: string | undefined;
}

/** A bridge with the company's look (ORG_NAME, ORG_COLOR, a logo, HELP_URL) listening on a free port: its base URL. */
async function brandedBridge(t: Test, logoName: string, logo: Buffer | string): Promise<string> {
  const { app } = await build(t, {
    ORG_NAME: 'Acme Bank',
    ORG_COLOR: '#a4123f',
    ORG_LOGO_FILE: writeLogo(t.testdir(), logoName, logo),
    HELP_URL: 'https://help.example.com/commbox',
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

for (const [kind, file, width] of [
  ['png', solidPng(160, 48, [164, 18, 63]), 160],
  ['svg', svgLogo('#a4123f'), 120],
] as const) {
  t.test(`the company's look: a ${kind} logo and ORG_COLOR, under the CSP, readable`, async (t) => {
    const base = await brandedBridge(t, `logo.${kind}`, file);
    for (const [path, name] of [
      ['/', 'landing'],
      ['/nowhere', 'error'],
    ] as const) {
      const { page, requests, problems } = await context(t);
      await page.goto(`${base}${path}`);
      await checkBridgePage(t, page, requests, problems);
      const m = await page.evaluate<BrandMeasures>(BRAND_SCRIPT);
      t.ok(m.logo?.complete, `${name}: the logo loaded`);
      t.equal(m.logo?.naturalWidth, width, `${name}: the logo decoded (its natural width)`);
      t.equal(m.logo?.alt, 'Acme Bank', `${name}: named by ORG_NAME`);
      t.ok(m.logo!.height > 0 && m.logo!.height <= 64, `${name}: shown, at most 4rem high (${m.logo?.height}px)`);
      t.equal(m.button, 'rgb(164, 18, 63)', `${name}: the button in the accent colour`);
      t.same(m.link, ['rgb(164, 18, 63)'], `${name}: the help link too`);
      if (name === 'error') {
        // The banner follows the logo by the logo's own margin (1rem), nothing more.
        t.equal(m.bannerTop! - m.logoBottom!, 16, 'no gap above the organisation line');
        t.equal(m.refMarginTop, '24px', 'the reference line keeps its space above');
      }
      await shot(page, `brand-${kind}-${name}`);
    }
  });
}

t.test("the organisation line sits at the top of the page, without the reference line's margin", async (t) => {
  const { app } = await build(t, { ORG_NAME: 'Acme Bank' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { page, requests, problems } = await context(t);
  await page.goto(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/nowhere`);
  await checkBridgePage(t, page, requests, problems);
  const m = await page.evaluate<BrandMeasures>(BRAND_SCRIPT);
  t.equal(m.logo, null, 'no logo');
  t.equal(m.bannerTop, m.mainTop, "the banner starts where main's content does");
  t.equal(m.refMarginTop, '24px');
  await shot(page, 'error-with-org');
});

/** The right-to-left languages, as a browser asks for them (Playwright's locale is the Accept-Language header). */
const RTL = [
  ['he-IL', 'he'],
  ['ar', 'ar'],
] as const;

/**
 * How a right-to-left page is laid out, measured in the page: the body's
 * direction, main's content box, the text of the heading and of each paragraph
 * of main (the range of their text, not their block box, which spans the line
 * in either direction), the button and the logo, and whatever in main sticks
 * out of it or, for text, out of its content box.
 */
const LAYOUT_SCRIPT = `(() => {
  const main = document.querySelector('main');
  const ms = getComputedStyle(main);
  const mb = main.getBoundingClientRect();
  const edges = (b) => ({ left: b.left, right: b.right });
  const text = (e) => {
    const r = document.createRange();
    r.selectNodeContents(e);
    return edges(r.getBoundingClientRect());
  };
  const name = (e) => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '');
  const box = (selector) => {
    const e = main.querySelector(selector);
    return e && edges(e.getBoundingClientRect());
  };
  const content = { left: mb.left + parseFloat(ms.paddingLeft), right: mb.right - parseFloat(ms.paddingRight) };
  // Text past the content box: a right-to-left page scrolls only to the left, so text past the right is cut off unseen.
  const past = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const r = document.createRange();
    r.selectNodeContents(n);
    if ([...r.getClientRects()].some((b) => b.width > 0 && (b.left < content.left - 1 || b.right > content.right + 1)))
      past.push(n.data.trim().slice(0, 40));
  }
  return {
    direction: getComputedStyle(document.body).direction,
    content,
    past,
    lines: [...main.querySelectorAll(':scope > h1, :scope > p')].map((e) => ({ what: name(e), ...text(e) })),
    button: box(':scope > .button'),
    logo: box(':scope > img.logo'),
    outside: [...main.querySelectorAll('*')]
      .filter((e) => {
        const b = e.getBoundingClientRect();
        return b.width > 0 && (b.left < mb.left - 0.5 || b.right > mb.right + 0.5);
      })
      .map(name),
    fits: document.documentElement.scrollWidth <= innerWidth,
  };
})()`;

interface Edges {
  left: number;
  right: number;
}
interface Layout {
  direction: string;
  content: Edges;
  past: string[];
  lines: (Edges & { what: string })[];
  button: Edges | null;
  logo: Edges | null;
  outside: string[];
  fits: boolean;
}

const near = (a: number, b: number) => Math.abs(a - b) <= 1;

/** The page mirrored: right to left, everything starting at the right of main's content, nothing sticking out. */
async function checkMirrored(t: Test, page: Page, at: string) {
  const m = await page.evaluate<Layout>(LAYOUT_SCRIPT);
  t.equal(m.direction, 'rtl', `${at}: the body's computed direction`);
  t.ok(m.lines.length > 0, `${at}: a heading and paragraphs`);
  for (const line of m.lines)
    t.ok(
      near(line.right, m.content.right),
      `${at}: ${line.what} starts at the right (${line.right} of ${m.content.right})`,
    );
  const h1 = m.lines.find((l) => l.what === 'h1')!;
  if (h1.right - h1.left < m.content.right - m.content.left - 40)
    t.ok(h1.left > m.content.left + 20, `${at}: the heading's free space is on the left`);
  if (m.button) t.ok(near(m.button.right, m.content.right), `${at}: the button on the right`);
  if (m.logo) t.ok(near(m.logo.right, m.content.right), `${at}: the logo on the right (a block at the inline start)`);
  t.same(m.outside, [], `${at}: nothing sticks out of main`);
  t.same(m.past, [], `${at}: no text past main's content box`);
  t.ok(m.fits, `${at}: no horizontal scrolling`);
}

/**
 * The reference line, "<label>: <code>reference</code> (<bdi>reason</bdi>)",
 * found by its text, not its markup: where the reference, the reason code and
 * the brackets around it are drawn, each code's first and last character, and
 * the element each code is in with its computed direction.
 */
const referenceScript = (reason: string) => `(() => {
  const reason = ${JSON.stringify(reason)};
  const ref = document.querySelector('main > p.ref');
  const nodes = [];
  const walker = document.createTreeWalker(ref, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  const find = (text) => {
    for (const n of nodes) if (n.data.includes(text)) return [n, n.data.indexOf(text)];
    throw new Error('not in the reference line: ' + text);
  };
  const at = (n, i, j = i + 1) => {
    const r = document.createRange();
    r.setStart(n, i);
    r.setEnd(n, j);
    const b = r.getBoundingClientRect();
    return { left: b.left, right: b.right };
  };
  const reads = (n, i, length) => {
    const e = n.parentElement;
    const s = getComputedStyle(e);
    return {
      tag: e === ref ? null : e.tagName.toLowerCase(),
      direction: s.direction,
      bidi: s.unicodeBidi,
      text: n.data.slice(i, i + length),
      first: at(n, i),
      last: at(n, i + length - 1),
      box: at(n, i, i + length),
    };
  };
  const code = ref.querySelector('code').firstChild;
  const [r, i] = find(reason);
  return {
    reference: reads(code, 0, code.length),
    reason: reads(r, i, reason.length),
    open: at(...find('(')),
    close: at(...find(')')),
  };
})()`;

interface Reads {
  tag: string | null;
  direction: string;
  bidi: string;
  text: string;
  first: Edges;
  last: Edges;
  box: Edges;
}

/**
 * Codes inside a right-to-left sentence read left to right, and the sentence
 * around them right to left: the reference, then the reason code in brackets
 * on its left. Measured at 1280 px, where the line does not wrap.
 */
async function checkReference(t: Test, page: Page, reason: string) {
  const r = await page.evaluate<{ reference: Reads; reason: Reads; open: Edges; close: Edges }>(
    referenceScript(reason),
  );
  t.match(r.reference.text, /^[0-9a-f]{16}$/, 'the reference');
  t.equal(r.reference.direction, 'ltr', 'the reference: computed direction ltr');
  t.equal(r.reference.bidi, 'isolate', 'the reference: isolated');
  t.ok(
    r.reference.first.left < r.reference.last.left,
    'the reference reads left to right (its first character on the left)',
  );
  t.equal(r.reason.tag, 'bdi', `${reason} in a <bdi>`);
  t.equal(r.reason.direction, 'ltr', `${reason}: computed direction ltr`);
  t.ok(r.reason.first.left < r.reason.last.left, `${reason} reads left to right`);
  t.ok(r.reason.box.right <= r.reference.box.left + 0.5, `${reason} is left of the reference (read after it)`);
  t.ok(
    r.open.left >= r.reason.box.right - 0.5 && r.open.right <= r.reference.box.left + 0.5,
    `the opening bracket between them, on the right of ${reason}`,
  );
  t.ok(r.close.right <= r.reason.box.left + 0.5, `the closing bracket on the left of ${reason}`);
}

/** Screenshots at 1280 and 360 px wide, the page checked mirrored at each; back to 1280 × 720 after. */
async function mirroredShots(t: Test, page: Page, name: string) {
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 720 });
    await checkMirrored(t, page, `${width} px`);
    await shot(page, `${name}-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 720 });
}

for (const [locale, lang] of RTL) {
  t.test(
    `${lang} (Accept-Language: ${locale}): the landing and an error page, mirrored, the codes left to right`,
    async (t) => {
      const base = await brandedBridge(t, 'logo.png', solidPng(160, 48, [164, 18, 63]));
      for (const [path, name] of [
        ['/', 'landing'],
        ['/logged-out', 'logged-out'],
        ['/nowhere', 'error'],
      ] as const) {
        const { page, requests, problems } = await context(t, { locale });
        await page.goto(`${base}${path}`);
        await checkBridgePage(t, page, requests, problems, lang);
        if (name === 'error') await checkReference(t, page, 'not_found');
        await mirroredShots(t, page, `${lang}-brand-${name}`);
      }
    },
  );

  t.test(`${lang} (Accept-Language: ${locale}): refusal seen by a person, CommBox down`, async (t) => {
    const { page, requests, problems } = await context(t, { locale });
    s.sandbox.fault = '500';
    t.teardown(() => {
      s.sandbox.fault = 'none';
    });
    await page.goto(`${s.base}/login`);
    await signIn(page, 'alice');
    await page.waitForURL(/\/callback\?/);
    await checkBridgePage(t, page, requests, problems, lang);
    await checkReference(t, page, 'commbox_unavailable');
    await mirroredShots(t, page, `${lang}-refused-commbox-down`);
  });
}

/**
 * An address in DRY_RUN's operator view (in English, left to right, inside the
 * right-to-left page): the section's direction, where its heading starts, and
 * where the address's local part, its @ and its domain are.
 */
const emailScript = (email: string) => `(() => {
  const email = ${JSON.stringify(email)};
  const section = document.querySelector('main > section');
  const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode()) && !node.data.includes(email));
  const at = node.data.indexOf(email);
  const split = at + email.indexOf('@');
  const range = (from, to) => {
    const r = document.createRange();
    r.setStart(node, from);
    r.setEnd(node, to);
    const b = r.getBoundingClientRect();
    return { left: b.left, right: b.right };
  };
  const heading = section.querySelector('h2');
  const h = document.createRange();
  h.selectNodeContents(heading);
  return {
    lang: section.lang,
    direction: getComputedStyle(section).direction,
    left: section.getBoundingClientRect().left,
    heading: h.getBoundingClientRect().left,
    line: node.parentElement.closest('li, p').textContent,
    local: range(at, split),
    at: range(split, split + 1),
    domain: range(split + 1, at + email.length),
  };
})()`;

interface EmailPlaces {
  lang: string;
  direction: string;
  left: number;
  heading: number;
  line: string;
  local: Edges;
  at: Edges;
  domain: Edges;
}

t.test('DRY_RUN refusal in Hebrew and Arabic: the address in the operator view reads left to right', async (t) => {
  // Local parts in the page's own script: the case the isolation is for (without it the @ and the domain would
  // land on the local part's left).
  const users = {
    ...DEMO_USERS,
    dana: {
      ...DEMO_USERS['alice']!,
      sub: 'da4a0000-0004-4c3a-9d2e-dana00000004',
      preferred_username: 'dana',
      email: 'דנה@example.com',
    },
    layla: {
      ...DEMO_USERS['alice']!,
      sub: '1a71a000-0005-4c3a-9d2e-layla0000005',
      preferred_username: 'layla',
      email: 'ليلى@example.com',
    },
  };
  const dry = await startDemoStack({
    idp: { users },
    env: {
      DRY_RUN: 'true',
      ALLOWED_EMAIL_DOMAINS: 'example.org',
      ORG_NAME: 'Acme Bank',
      HELP_URL: 'https://help.example.com/commbox',
    },
  });
  t.teardown(() => dry.close());
  for (const [[locale, lang], user] of [
    [RTL[0], 'dana'],
    [RTL[1], 'layla'],
  ] as const) {
    const email = users[user].email;
    const { page, requests, problems } = await context(t, { locale });
    await page.goto(`${dry.base}/login`);
    await signIn(page, user);
    await page.waitForURL(/\/callback\?/);
    t.match(await page.textContent('main'), /email_domain_not_allowed/, `${lang}: refused by the email domain rule`);
    await checkBridgePage(t, page, requests, problems, lang);
    await checkReference(t, page, 'email_domain_not_allowed');
    const e = await page.evaluate<EmailPlaces>(emailScript(email));
    t.match(e.line, `MAP_EMAIL=email: "${email}"`, `${lang}: the address in a sentence of the operator view`);
    t.equal(e.lang, 'en', `${lang}: the operator view is in English`);
    t.equal(e.direction, 'ltr', `${lang}: its computed direction is ltr`);
    t.ok(near(e.heading, e.left), `${lang}: its heading starts at the left`);
    t.ok(e.local.right <= e.at.left + 0.5, `${lang}: the local part left of the @`);
    t.ok(e.at.right <= e.domain.left + 0.5, `${lang}: the domain right of the @`);
    await mirroredShots(t, page, `${lang}-dry-run-refusal`);
  }
  t.equal(dry.ticketRequests(), 0, 'DRY_RUN asked CommBox for no ticket');
});

/**
 * The account line of a wrong-account refusal ("<sentence> <address>."), found
 * by the address's text, not its markup: the element the address is in with its
 * computed direction, and where the address's local part, its @, its domain,
 * the sentence's first word and its full stop are drawn.
 */
const accountScript = (email: string) => `(() => {
  const email = ${JSON.stringify(email)};
  const p = [...document.querySelectorAll('main > p')].find((e) => e.textContent.includes(email));
  const nodes = [];
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  const node = nodes.find((n) => n.data.includes(email));
  const at = node.data.indexOf(email);
  const split = at + email.indexOf('@');
  const box = (n, i, j) => {
    const r = document.createRange();
    r.setStart(n, i);
    r.setEnd(n, j);
    const b = r.getBoundingClientRect();
    return { left: b.left, right: b.right };
  };
  const first = nodes[0];
  const word = first.data.trim().split(/\\s+/)[0];
  const w = first.data.indexOf(word);
  const last = nodes[nodes.length - 1];
  const stop = last.data.lastIndexOf('.');
  const e = node.parentElement;
  return {
    line: p.textContent,
    sentence: getComputedStyle(p).direction,
    tag: e === p ? null : e.tagName.toLowerCase(),
    direction: getComputedStyle(e).direction,
    bidi: getComputedStyle(e).unicodeBidi,
    email: box(node, at, at + email.length),
    local: box(node, at, split),
    at: box(node, split, split + 1),
    domain: box(node, split + 1, at + email.length),
    word: { text: word, ...box(first, w, w + word.length) },
    stop: box(last, stop, stop + 1),
  };
})()`;

interface AccountLine {
  line: string;
  sentence: string;
  tag: string | null;
  direction: string;
  bidi: string;
  email: Edges;
  local: Edges;
  at: Edges;
  domain: Edges;
  word: Edges & { text: string };
  stop: Edges;
}

t.test(
  'a wrong-account refusal in Hebrew and Arabic: the address inside the sentence reads left to right',
  async (t) => {
    // bob (bob@example.com) is the usual case; an agent number as the local part, and a local part in the
    // page's own script, are the ones that turn around without isolation (the @ or the domain would land on
    // the wrong side).
    const outsider = (name: string, email: string, n: number) => ({
      ...DEMO_USERS['bob']!,
      sub: `0ff51de0-000${n}-4c3a-9d2e-${name.padEnd(12, '0').slice(0, 12)}`,
      preferred_username: name,
      email,
    });
    const users: Record<string, DemoUser> = {
      ...DEMO_USERS,
      agent20417: outsider('agent20417', '20417@example.com', 6),
      dana: outsider('dana', 'דנה@example.com', 7),
      layla: outsider('layla', 'ليلى@example.com', 8),
    };
    const refused = await startDemoStack({
      idp: { users },
      env: { ALLOWED_GROUPS: 'commbox-agents', ORG_NAME: 'Acme Bank', HELP_URL: 'https://help.example.com/commbox' },
    });
    t.teardown(() => refused.close());
    const words = { he: 'התחברת', ar: 'تم' };
    for (const [[locale, lang], user] of [
      [RTL[0], 'bob'],
      [RTL[0], 'agent20417'],
      [RTL[0], 'dana'],
      [RTL[1], 'bob'],
      [RTL[1], 'agent20417'],
      [RTL[1], 'layla'],
    ] as const) {
      const email = users[user]!.email;
      const at = `${lang}, ${email}`;
      const { page, requests, problems } = await context(t, { locale });
      await page.goto(`${refused.base}/login`);
      await signIn(page, user);
      await page.waitForURL(/\/callback\?/);
      t.match(await page.textContent('main'), /group_not_allowed/, `${at}: refused by the group rule`);
      const a = await page.evaluate<AccountLine>(accountScript(email));
      t.ok(a.line.startsWith(`${words[lang]} `) && a.line.endsWith(`${email}.`), `${at}: the account line (${a.line})`);
      t.equal(a.sentence, 'rtl', `${at}: the sentence is right to left`);
      t.equal(a.tag, 'bdi', `${at}: the address in its own element`);
      t.equal(a.direction, 'ltr', `${at}: its computed direction is ltr`);
      t.equal(a.bidi, 'isolate', `${at}: isolated from the sentence`);
      t.ok(a.local.right <= a.at.left + 0.5, `${at}: the local part left of the @`);
      t.ok(a.at.right <= a.domain.left + 0.5, `${at}: the domain right of the @`);
      t.equal(a.word.text, words[lang]);
      t.ok(a.word.left >= a.email.right - 0.5, `${at}: the sentence's first word right of the address`);
      t.ok(a.stop.right <= a.email.left + 0.5, `${at}: the full stop left of the address (the sentence ends there)`);
      await checkBridgePage(t, page, requests, problems, lang);
      await checkReference(t, page, 'group_not_allowed');
      await mirroredShots(t, page, `${lang}-refused-account-${user}`);
    }
    t.equal(refused.ticketRequests(), 0, 'no ticket was requested');
  },
);
