/**
 * The company's look as the pages serve it: the logo inline above the heading
 * (alt: ORG_NAME) with a CSP that allows `data:` images only then, the accent
 * colour in a style whose sha256 is the one the CSP names, the banner above
 * the heading without the bottom reference's margin, and a keyboard focus ring
 * with 3:1 against the page and the button whatever the accent.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { build } from '../helpers/build.js';
import { solidPng, svgLogo, writeLogo } from '../helpers/images.js';
import {
  AA_NORMAL_TEXT,
  contrastRatio,
  darkerToReach,
  formatRatio,
  parseHexColor,
  toHex,
  WHITE,
} from '../../src/config/contrast.js';
import { brandStyle, pageLook } from '../../src/web/branding.js';
import { PAGE_CSP, pagesLook, renderErrorPage } from '../../src/web/pages.js';

/** The inline style as served, and the sha256 source expression of it. */
function servedStyle(body: string): { style: string; source: string } {
  const style = /<style>([\s\S]*?)<\/style>/.exec(body)![1]!;
  return { style, source: `'sha256-${createHash('sha256').update(style).digest('base64')}'` };
}

const directive = (csp: string, name: string) =>
  csp
    .split(';')
    .map((d) => d.trim())
    .find((d) => d.startsWith(`${name} `));

t.test(
  'the logo is inline above the heading of the landing, sign-out and error pages, and the CSP allows data: images',
  async (t) => {
    const png = solidPng(8, 4, [11, 92, 173]);
    const logo = writeLogo(t.testdir(), 'logo.png', png);
    const { app } = await build(t, { ORG_NAME: 'Acme <Bank>', ORG_LOGO_FILE: logo });
    const img = `<img class="logo" src="data:image/png;base64,${png.toString('base64')}" alt="Acme &lt;Bank&gt;">`;
    for (const [url, status] of [
      ['/', 200],
      ['/logged-out', 200],
      ['/nowhere', 404],
      ['/callback?state=abc&code=x', 400],
    ] as const) {
      const res = await app.inject(url);
      t.equal(res.statusCode, status, url);
      t.ok(res.body.includes(`<main>\n${img}\n`), `${url}: the logo first in <main>`);
      t.ok(res.body.indexOf(img) < res.body.indexOf('<h1>'), `${url}: above the heading`);
      t.equal(res.body.split('<img').length, 2, `${url}: the only image`);
      const csp = res.headers['content-security-policy'] as string;
      t.equal(directive(csp, 'img-src'), 'img-src data:', `${url}: data: images, nothing else`);
      t.equal(directive(csp, 'default-src'), "default-src 'none'");
      t.equal(
        directive(csp, 'style-src'),
        `style-src ${servedStyle(res.body).source}`,
        `${url}: the served style's hash`,
      );
    }
  },
);

t.test('an SVG logo is an <img> too, with its media type', async (t) => {
  const logo = writeLogo(t.testdir(), 'logo.svg', svgLogo());
  const { app } = await build(t, { ORG_NAME: 'Acme', ORG_LOGO_FILE: logo });
  const res = await app.inject('/');
  t.ok(
    res.body.includes(
      `<img class="logo" src="data:image/svg+xml;base64,${Buffer.from(svgLogo()).toString('base64')}" alt="Acme">`,
    ),
  );
  t.notMatch(res.body, /<svg/, 'never inlined as markup');
});

t.test('without a logo: no image, and the CSP allows none', async (t) => {
  const { app } = await build(t, { ORG_NAME: 'Acme', ORG_COLOR: '#0b5cad' });
  for (const url of ['/', '/nowhere']) {
    const res = await app.inject(url);
    t.notMatch(res.body, /<img/);
    t.equal(directive(res.headers['content-security-policy'] as string, 'img-src'), "img-src 'none'");
  }
});

t.test('the accent colour is in the served style, and the CSP names that style by its hash', async (t) => {
  const { app } = await build(t, { ORG_COLOR: '#A4123F' });
  for (const url of ['/', '/logged-out', '/nowhere', '/callback?state=abc&code=x']) {
    const res = await app.inject(url);
    const { style, source } = servedStyle(res.body);
    t.match(
      style,
      /\na\{color:#a4123f\}\.button\{background:#a4123f\}$/,
      `${url}: the colour on the links and the button`,
    );
    t.equal(
      res.headers['content-security-policy'],
      `default-src 'none'; style-src ${source}; img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
      url,
    );
    t.not(res.headers['content-security-policy'], PAGE_CSP, 'not the plain look');
  }
  const json = await app.inject({ url: '/nowhere', headers: { accept: 'application/json' } });
  t.equal(
    json.headers['content-security-policy'],
    (await app.inject('/')).headers['content-security-policy'],
    'every answer the same CSP',
  );
});

t.test('without branding the pages and their CSP are the plain ones', async (t) => {
  const { app } = await build(t);
  const res = await app.inject('/');
  t.equal(res.headers['content-security-policy'], PAGE_CSP);
  t.equal(directive(PAGE_CSP, 'style-src'), `style-src ${servedStyle(res.body).source}`);
  t.notMatch(servedStyle(res.body).style, /\.logo|a\{color/);
});

t.test('the style takes only a colour the configuration checked', async (t) => {
  // The configuration is the first lock; this one stands when a caller skips it.
  for (const color of ['red', '#0B5CAD', '#fff', '#0b5cad}body{display:none', '</style><script>']) {
    t.throws(() => brandStyle({ color }), { name: 'TypeError' }, color);
    t.throws(() => pagesLook({ color }), { name: 'TypeError' }, color);
  }
  t.equal(brandStyle({}), '');
  t.equal(pageLook('p{}', {}).style, 'p{}', 'nothing added without branding');
});

t.test(
  'the banner above the heading has its own spacing; the reference line at the bottom keeps its margin',
  async (t) => {
    const { app } = await build(t, { ORG_NAME: 'Acme' });
    const res = await app.inject('/nowhere');
    const { style } = servedStyle(res.body);
    t.match(
      res.body,
      /<main>\n<p class="org"><bdi>Acme<\/bdi>: CommBox sign-in<\/p>\n<h1>/,
      'the banner is not a reference line',
    );
    t.match(res.body, /<p class="ref">Reference: <code>[0-9a-f]{16}<\/code> \(not_found\)<\/p>\n<\/main>/);
    const rule = (selector: string) =>
      new RegExp(`(?:^|[}\\n])${selector.replace('.', '\\.')}\\{([^}]*)\\}`).exec(style)?.[1];
    t.match(rule('.ref'), /margin-(?:top|block-start):1\.5rem/, 'the reference line: its space above');
    t.match(rule('.org'), /margin-block:0 /, 'the banner: none above');
    t.notMatch(rule('.org'), /margin-(?:top|block-start)/);
    // The contrast check of ORG_COLOR is against white: the button text and the page behind the links.
    t.match(rule('main'), /background:#fff(?![0-9a-f])/);
    t.match(rule('.button'), /color:#fff(?![0-9a-f])/);
  },
);

/** The declarations of a style's top-level rules for `selector`, later rules over earlier ones (as the cascade does). */
function declarations(style: string, selector: string): Record<string, string> {
  const out: Record<string, string> = {};
  // Top-level rules only: one inside @media follows a `{`, never a `}`, a newline or the start.
  for (const [, selectors, body] of style.matchAll(/(?:^|[}\n])([^{}@]+)\{([^{}]*)\}/g)) {
    if (!selectors!.split(',').some((s) => s.trim() === selector)) continue;
    for (const d of body!.split(';')) {
      const colon = d.indexOf(':');
      if (colon > 0) out[d.slice(0, colon).trim()] = d.slice(colon + 1).trim();
    }
  }
  return out;
}

const px = (length: string | undefined) => Number(/^(\d+(?:\.\d+)?)px$/.exec(length ?? '')?.[1] ?? NaN);

t.test(
  'the focus ring of a link and the button: 3:1 against the page and the button, whatever ORG_COLOR (WCAG 2.2 1.4.11, 2.4.13)',
  async (t) => {
    // The accents ORG_COLOR accepts at their lightest (4.5:1 with white, of several hues), the darkest, and none.
    const boundary = ['#ffff00', '#00ffff', '#ff00ff', '#ff8000', '#00ff00', '#808080'].map((c) =>
      toHex(darkerToReach(parseHexColor(c)!, WHITE, AA_NORMAL_TEXT)),
    );
    for (const color of [undefined, '#0b5cad', '#a4123f', '#000000', ...boundary]) {
      const name = color ?? 'the plain look';
      const { style } = pagesLook({ color });
      const page = parseHexColor(declarations(style, 'main')['background'] ?? '');
      const accent = parseHexColor(declarations(style, '.button')['background'] ?? '');
      t.ok(page && accent, `${name}: the page and the button have a colour`);
      // Keyboard focus only (:focus-visible), on every link: the button is one.
      t.notMatch(style, /:focus(?![-\w])/, `${name}: no :focus rule (a click leaves no ring)`);
      const focus = declarations(style, 'a:focus-visible');
      const outline = /^(\d+)px solid (#[0-9a-f]{3,6})$/.exec(focus['outline'] ?? '');
      t.ok(outline, `${name}: a solid outline (${focus['outline']})`);
      t.ok(Number(outline?.[1]) >= 2, `${name}: at least 2px thick (2.4.13)`);
      // The inner ring fills the gap between the button and the outline, so the ring is all the outline touches inside.
      const ring = /^0 0 0 (\d+px) (#[0-9a-f]{3,6})$/.exec(focus['box-shadow'] ?? '');
      t.ok(ring, `${name}: an inner ring (${focus['box-shadow']})`);
      t.ok(px(ring?.[1]) >= px(focus['outline-offset']), `${name}: the ring fills the outline's offset`);
      const [outer, inner] = [parseHexColor(outline?.[2] ?? ''), parseHexColor(ring?.[2] ?? '')];
      if (!page || !accent || !outer || !inner) continue;
      for (const [what, a, b] of [
        ['the outline against the page', outer, page],
        ['the outline against the inner ring', outer, inner],
        ['the inner ring against the button', inner, accent],
      ] as const) {
        const ratio = contrastRatio(a, b);
        t.ok(ratio >= 3, `${name}: ${what}, ${formatRatio(ratio)}, at least 3:1`);
      }
    }
  },
);

t.test(
  'second lock: an SVG with a script that got past the configuration is still only an <img> under a CSP without scripts',
  async (t) => {
    // The configuration refuses an SVG logo with a script (test/config/branding.test.ts); here that first
    // lock is off: the look is made straight from a scripted SVG. What is left must hold on its own: the
    // logo is an <img> of a data: URL (a browser runs no script in an image and fetches nothing for it),
    // never markup in the page, and the CSP allows no script at all.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script><rect/></svg>`;
    const look = pagesLook({ logo: { mediaType: 'image/svg+xml', base64: Buffer.from(svg).toString('base64') } });
    const body = renderErrorPage('not_found', 'ref-1', { loginUrl: '/login', orgName: 'Acme', look });
    t.ok(body.includes(`<img class="logo" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}"`));
    t.notMatch(body, /<svg|<script|onload=|alert\(/, 'nothing of the SVG is markup of the page');
    t.equal(directive(look.csp, 'default-src'), "default-src 'none'", 'no script source by default');
    t.equal(directive(look.csp, 'script-src'), undefined, 'and none allowed');
    t.equal(directive(look.csp, 'img-src'), 'img-src data:', 'the logo is an image, nothing more');
  },
);
