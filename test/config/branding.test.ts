/**
 * ORG_COLOR and ORG_LOGO_FILE at start-up: a colour that fails WCAG AA against
 * the white button text and page is refused with its ratio and a darker shade
 * that passes; a logo is accepted by its bytes (PNG, JPEG, WebP, SVG), within
 * the size limit, and anything else stops the start-up with what to write instead,
 * listed with the other problems.
 */
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOGO_MAX_BYTES } from '../../src/config/branding.js';
import { contrastRatio, parseHexColor, WHITE } from '../../src/config/contrast.js';
import { parseConfig } from '../../src/config/parse.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';
import { GIF_START, JPEG_START, solidPng, svgLogo, WEBP_START, writeLogo } from '../helpers/images.js';

const BASE = { ...TWO_IDP_BASE, ORG_NAME: 'Acme Bank' };
const problems = (env: Record<string, string>) => configProblems({ ...BASE, ...env });

t.test('ORG_COLOR: #rrggbb or #rgb, kept as #rrggbb; unset: none', async (t) => {
  t.equal(parseConfig({ ...BASE, ORG_COLOR: '#0B5CAD' }).orgColor, '#0b5cad');
  t.equal(parseConfig({ ...BASE, ORG_COLOR: '#036' }).orgColor, '#003366');
  t.equal(parseConfig({ ...BASE, ORG_COLOR: '#767676' }).orgColor, '#767676', 'exactly past 4.5:1');
  t.equal(parseConfig(BASE).orgColor, undefined);
  t.equal(parseConfig({ ...BASE, ORG_COLOR: '' }).orgColor, undefined);
});

t.test('ORG_COLOR that is not a colour is refused with the forms to write', async (t) => {
  for (const bad of ['blue', '0b5cad', '#0b5ca', '#0b5cadff', 'rgb(11,92,173)']) {
    t.match(problems({ ORG_COLOR: bad }), { ORG_COLOR: /is not a colour: write it as #rrggbb or #rgb/ }, bad);
  }
});

t.test('ORG_COLOR too light for white text is refused with its ratio and a darker shade that passes', async (t) => {
  const message = problems({ ORG_COLOR: '#FFCC00' })['ORG_COLOR']!;
  t.match(message, /^#ffcc00 has a contrast of 1\.51:1 with the white button text and page, below the 4\.5:1/);
  const suggested = /e\.g\. (#[0-9a-f]{6}) \(the same hue, (\d+\.\d\d):1\)/.exec(message);
  t.ok(suggested, 'a suggestion with its ratio');
  const rgb = parseHexColor(suggested![1]!)!;
  t.ok(contrastRatio(rgb, WHITE) >= 4.5, `${suggested![1]} passes`);
  t.equal(Number(suggested![2]), Math.floor(contrastRatio(rgb, WHITE) * 100) / 100, 'the ratio said is its own');
  t.equal(parseConfig({ ...BASE, ORG_COLOR: suggested![1]! }).orgColor, suggested![1], 'and the bridge takes it');

  t.match(problems({ ORG_COLOR: '#777777' }), { ORG_COLOR: /4\.47:1 .*e\.g\. #767676 / }, 'just below: rounded down');
  t.match(problems({ ORG_COLOR: '#fff' }), { ORG_COLOR: /1\.00:1/ });
});

t.test('ORG_LOGO_FILE: PNG, JPEG, WebP and SVG, told by their bytes whatever the name', async (t) => {
  const dir = t.testdir();
  const png = solidPng(4, 2, [11, 92, 173]);
  for (const [name, content, mediaType] of [
    ['logo.png', png, 'image/png'],
    ['logo.bin', png, 'image/png'],
    ['logo.png.jpg', JPEG_START, 'image/jpeg'],
    ['logo', WEBP_START, 'image/webp'],
    ['logo.svg', svgLogo(), 'image/svg+xml'],
    [
      'logo.xml',
      `\ufeff  <svg xmlns='http://www.w3.org/2000/svg' viewBox="0 0 1 1"></svg>\n<!-- end -->\n`,
      'image/svg+xml',
    ],
    [
      'doctype.svg',
      '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg xmlns="http://www.w3.org/2000/svg" data-x="a>b"><text>on = off</text></svg>',
      'image/svg+xml',
    ],
  ] as const) {
    const logo = parseConfig({ ...BASE, ORG_LOGO_FILE: writeLogo(dir, name, content) }).orgLogo;
    t.equal(logo?.mediaType, mediaType, name);
    t.equal(logo?.base64, Buffer.from(content).toString('base64'), `${name}: the bytes as they are`);
  }
  t.equal(parseConfig(BASE).orgLogo, undefined, 'unset: no logo');
});

t.test(`ORG_LOGO_FILE: at most ${LOGO_MAX_BYTES / 1024} KiB`, async (t) => {
  const dir = t.testdir();
  const png = solidPng(1, 1, [0, 0, 0]);
  const pad = (size: number) => Buffer.concat([png, Buffer.alloc(size - png.length)]);
  t.equal(
    parseConfig({ ...BASE, ORG_LOGO_FILE: writeLogo(dir, 'limit.png', pad(LOGO_MAX_BYTES)) }).orgLogo?.mediaType,
    'image/png',
  );
  t.match(problems({ ORG_LOGO_FILE: writeLogo(dir, 'big.png', pad(LOGO_MAX_BYTES + 1)) }), {
    ORG_LOGO_FILE: /big\.png is larger than 64 KiB: make the image smaller/,
  });
  t.match(problems({ ORG_LOGO_FILE: writeLogo(dir, 'huge.png', pad(10 * LOGO_MAX_BYTES)) }), {
    ORG_LOGO_FILE: /larger than 64 KiB/,
  });
});

t.test('ORG_LOGO_FILE that cannot be read, or is empty, stops the start-up', async (t) => {
  const dir = t.testdir();
  mkdirSync(join(dir, 'folder'));
  t.match(problems({ ORG_LOGO_FILE: join(dir, 'missing.png') }), {
    ORG_LOGO_FILE: /cannot read .*missing\.png \(ENOENT\): check the path/,
  });
  t.match(problems({ ORG_LOGO_FILE: join(dir, 'folder') }), { ORG_LOGO_FILE: /folder is not a file/ });
  t.match(problems({ ORG_LOGO_FILE: writeLogo(dir, 'empty.png', '') }), { ORG_LOGO_FILE: /empty\.png is empty/ });
});

t.test('ORG_LOGO_FILE of another kind is refused, named when it is known', async (t) => {
  const dir = t.testdir();
  for (const [name, content, said] of [
    ['logo.png', GIF_START, /logo\.png is a GIF image: write the path of a PNG, JPEG, WebP or SVG file/],
    ['logo.bmp', Buffer.from('BM\x00\x00', 'latin1'), /is a BMP image/],
    ['favicon.png', Buffer.from([0, 0, 1, 0, 1, 0]), /is an ICO icon/],
    ['logo.avif', Buffer.from('\x00\x00\x00\x1cftypavif', 'latin1'), /is an AVIF or HEIC image/],
    ['logo.pdf', '%PDF-1.7\n', /is a PDF document/],
    ['logo.png', 'not an image at all', /is not an image the bridge recognises: write the path/],
    ['logo.svg', '<!doctype html><html><svg xmlns="http://www.w3.org/2000/svg"></svg></html>', /not an image/],
  ] as const) {
    t.match(problems({ ORG_LOGO_FILE: writeLogo(dir, name, content) }), { ORG_LOGO_FILE: said }, name);
  }
});

t.test('an SVG logo must be an SVG document without scripts', async (t) => {
  const dir = t.testdir();
  const NS = 'xmlns="http://www.w3.org/2000/svg"';
  for (const [name, content, said] of [
    ['script.svg', `<svg ${NS}><script>alert(1)</script></svg>`, /contains a script .*: a logo needs none/],
    [
      'prefixed.svg',
      `<svg ${NS} xmlns:s="http://www.w3.org/2000/svg"><s:script>x</s:script></svg>`,
      /contains a script/,
    ],
    ['onload.svg', `<svg ${NS} onload="alert(1)"><rect/></svg>`, /contains a script/],
    ['handler.svg', `<svg ${NS}><rect\nONCLICK = "x"/></svg>`, /contains a script/],
    ['href.svg', `<svg ${NS}><a href="javascript:alert(1)"><rect/></a></svg>`, /contains a script/],
    [
      'nons.svg',
      '<svg viewBox="0 0 1 1"><rect/></svg>',
      /has no xmlns="http:\/\/www\.w3\.org\/2000\/svg" on its <svg> element/,
    ],
    ['cut.svg', `<svg ${NS}><rect/>`, /does not end with <\/svg>/],
    ['trailing.svg', `<svg ${NS}></svg><script/>`, /does not end with <\/svg>/],
    [
      'entity.svg',
      `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY s "<script>alert(1)</script>">]><svg ${NS}>&s;</svg>`,
      /declares entities/,
    ],
    ['rootless.svg', '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>', /has no <svg> root element/],
    ['latin1.svg', Buffer.from(`<svg ${NS}><text>\xe9</text></svg>`, 'latin1'), /is not UTF-8 text/],
  ] as const) {
    t.match(
      problems({ ORG_LOGO_FILE: writeLogo(dir, name, content) }),
      { ORG_LOGO_FILE: new RegExp(`${name} is not a usable SVG image: it ${said.source}`) },
      name,
    );
  }
});

t.test('a logo needs ORG_NAME, its text for people who cannot see it', async (t) => {
  const dir = t.testdir();
  const { ORG_NAME: _name, ...withoutName } = BASE;
  t.match(configProblems({ ...withoutName, ORG_LOGO_FILE: writeLogo(dir, 'logo.svg', svgLogo()) }), {
    ORG_LOGO_FILE: /needs ORG_NAME, the logo's text for people who cannot see it/,
  });
});

t.test('a misspelt name is refused with the name meant', async (t) => {
  t.match(problems({ ORG_COLOUR: '#0b5cad' }), { ORG_COLOUR: /did you mean ORG_COLOR\?/ });
  t.match(problems({ ORG_LOGO: '/logo.png' }), { ORG_LOGO: /did you mean ORG_LOGO_FILE\?/ });
});

t.test('every bad branding variable is listed with the other problems, in one start-up error', async (t) => {
  const dir = t.testdir();
  const all = problems({ ORG_COLOR: '#ffff00', ORG_LOGO_FILE: writeLogo(dir, 'logo.gif', GIF_START), PORT: 'x' });
  t.match(all, { ORG_COLOR: /contrast/, ORG_LOGO_FILE: /GIF/, PORT: /whole number/ });
  t.equal(Object.keys(all).length, 3);
});
