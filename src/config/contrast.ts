/**
 * WCAG 2.x contrast arithmetic: the relative luminance of an sRGB colour, the
 * contrast ratio of two colours (https://www.w3.org/TR/WCAG22/#dfn-relative-luminance,
 * #dfn-contrast-ratio), and the darker shade of a colour, same hue and
 * saturation, that reaches a ratio: what `ORG_COLOR` is checked and corrected with.
 */

/** A colour as its red, green and blue channels, 0 to 255 each. */
export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];

/** WCAG AA for normal text (success criterion 1.4.3). */
export const AA_NORMAL_TEXT = 4.5;

/** `#rrggbb` or `#rgb` (either case) as its channels; undefined for anything else. */
export function parseHexColor(text: string): Rgb | undefined {
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(text);
  if (short) return [short[1]!, short[2]!, short[3]!].map((d) => parseInt(d + d, 16)) as unknown as Rgb;
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(text);
  if (long) return [long[1]!, long[2]!, long[3]!].map((d) => parseInt(d, 16)) as unknown as Rgb;
  return undefined;
}

/** The colour as `#rrggbb`, lower case. */
export const toHex = (rgb: Rgb): string => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;

/** One channel, 0 to 255, linearised (sRGB's transfer function undone). */
function linear(channel: number): number {
  const c = channel / 255;
  // WCAG 2.0 wrote 0.03928 (an old sRGB draft); no 8-bit value lies between it and sRGB's 0.04045.
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance: 0 for black, 1 for white. */
export function relativeLuminance([r, g, b]: Rgb): number {
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG contrast ratio, from 1 (the same luminance) to 21 (black on white), whichever colour is lighter. */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const [la, lb] = [relativeLuminance(a), relativeLuminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/**
 * A ratio as people read it, `4.49:1`: rounded down, so that a ratio below a
 * threshold never reads as the threshold itself.
 */
export const formatRatio = (ratio: number): string => `${(Math.floor(ratio * 100) / 100).toFixed(2)}:1`;

/** HSL (hue in degrees, saturation and lightness 0 to 1) of a colour. */
function toHsl([r, g, b]: Rgb): [number, number, number] {
  const [x, y, z] = [r / 255, g / 255, b / 255];
  const max = Math.max(x, y, z);
  const min = Math.min(x, y, z);
  const l = (max + min) / 2;
  const d = max - min;
  if (d === 0) return [0, 0, l];
  const s = d / (1 - Math.abs(2 * l - 1));
  const h = max === x ? ((y - z) / d + 6) % 6 : max === y ? (z - x) / d + 2 : (x - y) / d + 4;
  return [h * 60, s, l];
}

function fromHsl(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const sector = Math.floor(h / 60) % 6;
  const [r, g, b] = [
    [c, x, 0],
    [x, c, 0],
    [0, c, x],
    [0, x, c],
    [x, 0, c],
    [c, 0, x],
  ][sector]!;
  return [r, g, b].map((v) => Math.round((v! + m) * 255)) as unknown as Rgb;
}

/**
 * The lightest colour of `rgb`'s hue and saturation, no lighter than `rgb`,
 * whose contrast with `against` (a light colour) is at least `minimum`. Each
 * channel grows with HSL lightness, so the contrast with a light colour falls
 * as it grows, and halving the interval finds the boundary; black (lightness 0)
 * always passes.
 */
export function darkerToReach(rgb: Rgb, against: Rgb, minimum: number): Rgb {
  const [h, s, l] = toHsl(rgb);
  let passing = 0;
  let failing = l;
  for (let i = 0; i < 32; i++) {
    const mid = (passing + failing) / 2;
    if (contrastRatio(fromHsl(h, s, mid), against) >= minimum) passing = mid;
    else failing = mid;
  }
  return fromHsl(h, s, passing);
}
