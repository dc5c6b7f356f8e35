/**
 * What people do, in a real browser: Debian's Chromium driven by playwright-core
 * against the demo stack (the real oidc-provider IdP and the CommBox sandbox),
 * started here on free ports. Screenshots go to test-output/e2e/.
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
import type { DemoIdp } from '../../dev/idp.js';
import { DEMO_CHAT_CHANNEL } from '../../dev/commbox-sandbox.js';

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

for (const [kind, file, width] of [
  ['png', solidPng(160, 48, [164, 18, 63]), 160],
  ['svg', svgLogo('#a4123f'), 120],
] as const) {
  t.test(`the company's look: a ${kind} logo and ORG_COLOR, under the CSP, readable`, async (t) => {
    const { app } = await build(t, {
      ORG_NAME: 'Acme Bank',
      ORG_COLOR: '#a4123f',
      ORG_LOGO_FILE: writeLogo(t.testdir(), `logo.${kind}`, file),
      HELP_URL: 'https://help.example.com/commbox',
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
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
