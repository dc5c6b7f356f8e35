/**
 * The company's look on the pages: `ORG_COLOR`, an accent colour that must stay
 * readable (WCAG AA) as the button and links, and `ORG_LOGO_FILE`, a small image
 * read once at start-up and recognised by its bytes, whatever its file name says.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { AA_NORMAL_TEXT, contrastRatio, darkerToReach, formatRatio, parseHexColor, toHex, WHITE } from './contrast.js';
import { isSet } from './parsers.js';
import type { LogoMediaType, OrgLogo } from './settings.js';
import type { Parser } from './variable.js';

/**
 * The largest logo file: it is inlined (base64, a third larger) in every page,
 * and a logo shown at most 4rem high needs a fraction of it.
 */
export const LOGO_MAX_BYTES = 64 * 1024;

/**
 * `ORG_COLOR`: `#rrggbb` or `#rgb`, as `#rrggbb`. The button's text and the
 * page behind the links are white (src/web/pages.ts), so one ratio decides.
 */
export const orgColor: Parser<string | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  const rgb = parseHexColor(raw);
  if (rgb === undefined) {
    ctx.bad(`${JSON.stringify(raw.slice(0, 40))} is not a colour: write it as #rrggbb or #rgb, e.g. #0b5cad`);
    return undefined;
  }
  const ratio = contrastRatio(rgb, WHITE);
  if (ratio < AA_NORMAL_TEXT) {
    const darker = darkerToReach(rgb, WHITE, AA_NORMAL_TEXT);
    ctx.bad(
      `${toHex(rgb)} has a contrast of ${formatRatio(ratio)} with the white button text and page, below the ${AA_NORMAL_TEXT}:1 that WCAG AA asks of text: write a darker colour, e.g. ${toHex(darker)} (the same hue, ${formatRatio(contrastRatio(darker, WHITE))})`,
    );
    return undefined;
  }
  return toHex(rgb);
};

/** The file's bytes, or why they cannot be had; never more than `limit` + 1 bytes are read. */
function readBounded(path: string, limit: number): Buffer | string {
  try {
    if (!statSync(path).isFile()) return `${path} is not a file`;
    const fd = openSync(path, 'r');
    try {
      // What is read counts, not the size stat gave: the file may change in between.
      const buffer = Buffer.alloc(limit + 1);
      let length = 0;
      for (;;) {
        const n = readSync(fd, buffer, length, buffer.length - length, null);
        length += n;
        if (n === 0 || length === buffer.length) break;
      }
      if (length > limit)
        return `${path} is larger than ${limit / 1024} KiB: make the image smaller (a logo is shown at most 4rem high)`;
      if (length === 0) return `${path} is empty`;
      return buffer.subarray(0, length);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}): check the path and the mounted file`;
  }
}

const startsWith = (bytes: Buffer, ascii: string, at = 0) =>
  bytes.subarray(at, at + ascii.length).equals(Buffer.from(ascii, 'latin1'));

/** Formats that are not accepted, named so that the message says what the file is. */
const OTHER_FORMATS: readonly (readonly [string, (b: Buffer) => boolean])[] = [
  ['a GIF image', (b) => startsWith(b, 'GIF8')],
  ['a BMP image', (b) => startsWith(b, 'BM')],
  ['an ICO icon', (b) => startsWith(b, '\x00\x00\x01\x00')],
  ['an AVIF or HEIC image', (b) => startsWith(b, 'ftyp', 4)],
  ['a PDF document', (b) => startsWith(b, '%PDF')],
];

/** The raster formats accepted, by their signature. */
function rasterType(bytes: Buffer): LogoMediaType | undefined {
  if (startsWith(bytes, '\x89PNG\r\n\x1a\n')) return 'image/png';
  if (startsWith(bytes, '\xff\xd8\xff')) return 'image/jpeg';
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return 'image/webp';
  return undefined;
}

/**
 * Before the root element of an SVG document: an XML declaration, comments,
 * processing instructions and a DOCTYPE without an internal subset (one could
 * declare entities), then `<svg` and its attributes.
 */
const SVG_ROOT = /^(?:\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE\s+svg\b[^>[]*>)*<svg\b((?:[^>"']|"[^"]*"|'[^']*')*)>/;
const SVG_NAMESPACE = /\sxmlns\s*=\s*(["'])http:\/\/www\.w3\.org\/2000\/svg\1/;
/** A script element (of any prefix), an event attribute, or a `javascript:` URL. */
const SVG_SCRIPT = /<([\w.-]+:)?script\b|<[^>]*\son[a-z]+\s*=|javascript\s*:/i;

/** What is wrong with an SVG logo, or undefined when it is an SVG document without scripts. */
function svgProblem(bytes: Buffer): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return 'is not UTF-8 text';
  }
  const root = SVG_ROOT.exec(text);
  if (root === null) {
    return /<!ENTITY/i.test(text)
      ? 'declares entities (<!ENTITY …>), which a logo needs none of'
      : 'has no <svg> root element after the XML declaration and comments';
  }
  if (!SVG_NAMESPACE.test(root[1]!))
    return 'has no xmlns="http://www.w3.org/2000/svg" on its <svg> element: browsers show such a file as nothing';
  if (!/<\/svg\s*>(?:\s|<!--[\s\S]*?-->)*$/.test(text)) return 'does not end with </svg>';
  if (SVG_SCRIPT.test(text))
    return 'contains a script (a <script> element, an on… attribute or a javascript: URL): a logo needs none; save it without scripts';
  return undefined;
}

/** Looks like the start of an SVG document (or of XML), to tell a broken SVG from another kind of file. */
const looksLikeXml = (bytes: Buffer) =>
  /^(\ufeff)?\s*<(\?xml|svg\b|!--|!DOCTYPE\s+svg)/.test(bytes.subarray(0, 256).toString('utf8'));

/**
 * `ORG_LOGO_FILE`: a PNG, JPEG, WebP or SVG file of at most {@link LOGO_MAX_BYTES},
 * its type told by its bytes. An SVG is only ever shown as an `<img>` (where
 * no script runs and nothing is fetched); one with a script is refused all the same.
 */
export const orgLogoFile: Parser<OrgLogo | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  const bytes = readBounded(raw, LOGO_MAX_BYTES);
  if (typeof bytes === 'string') {
    ctx.bad(bytes);
    return undefined;
  }
  const raster = rasterType(bytes);
  if (raster !== undefined) return { mediaType: raster, base64: bytes.toString('base64') };
  if (looksLikeXml(bytes)) {
    const problem = svgProblem(bytes);
    if (problem === undefined) return { mediaType: 'image/svg+xml', base64: bytes.toString('base64') };
    ctx.bad(`${raw} is not a usable SVG image: it ${problem}`);
    return undefined;
  }
  const other = OTHER_FORMATS.find(([, test]) => test(bytes))?.[0] ?? 'not an image the bridge recognises';
  ctx.bad(`${raw} is ${other}: write the path of a PNG, JPEG, WebP or SVG file (told by its content, not its name)`);
  return undefined;
};
