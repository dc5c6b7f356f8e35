/**
 * The WCAG 2.x contrast arithmetic ORG_COLOR is checked with (src/config/contrast.ts),
 * against the figures the WCAG definitions and common checkers give.
 */
import t from 'tap';
import {
  AA_NORMAL_TEXT,
  contrastRatio,
  darkerToReach,
  formatRatio,
  parseHexColor,
  relativeLuminance,
  toHex,
  WHITE,
  type Rgb,
} from '../../src/config/contrast.js';

const BLACK: Rgb = [0, 0, 0];
const close = (actual: number, expected: number, digits = 3) => Math.abs(actual - expected) < 10 ** -digits;

t.test('colours are #rrggbb or #rgb, either case, and print as #rrggbb', async (t) => {
  t.same(parseHexColor('#0B5cAd'), [11, 92, 173]);
  t.same(parseHexColor('#fc0'), [255, 204, 0]);
  t.equal(toHex([11, 92, 173]), '#0b5cad');
  t.equal(toHex(parseHexColor('#FC0')!), '#ffcc00');
  for (const bad of ['0b5cad', '#0b5cad0', '#0b5ca', '#ggg', 'blue', 'rgb(0,0,0)', '#0b5cad ', '']) {
    t.equal(parseHexColor(bad), undefined, JSON.stringify(bad));
  }
});

t.test('relative luminance: 0 for black, 1 for white, the channels weighted and linearised', async (t) => {
  t.equal(relativeLuminance(BLACK), 0);
  t.equal(relativeLuminance(WHITE), 1);
  t.ok(close(relativeLuminance([255, 0, 0]), 0.2126), 'red: its weight');
  t.ok(close(relativeLuminance([0, 255, 0]), 0.7152), 'green: its weight');
  t.ok(close(relativeLuminance([0, 0, 255]), 0.0722), 'blue: its weight');
  t.ok(close(relativeLuminance([10, 10, 10]), 10 / 255 / 12.92, 6), 'the linear segment near black');
  t.ok(close(relativeLuminance([128, 128, 128]), ((128 / 255 + 0.055) / 1.055) ** 2.4, 6), 'the power curve');
});

t.test('contrast ratios as WCAG defines them, either order', async (t) => {
  t.equal(contrastRatio(BLACK, WHITE), 21);
  t.equal(contrastRatio(WHITE, BLACK), 21);
  t.equal(contrastRatio(WHITE, WHITE), 1);
  t.equal(formatRatio(contrastRatio(parseHexColor('#767676')!, WHITE)), '4.54:1', 'the lightest grey that passes AA');
  t.ok(contrastRatio(parseHexColor('#777777')!, WHITE) < AA_NORMAL_TEXT, 'one step lighter fails');
  t.equal(formatRatio(contrastRatio(parseHexColor('#ff0000')!, WHITE)), '3.99:1');
  t.equal(formatRatio(contrastRatio(parseHexColor('#0b5cad')!, WHITE)), '6.66:1', "the bridge's own button");
});

t.test('a ratio is rounded down, so one below a threshold never reads as the threshold', async (t) => {
  t.equal(formatRatio(4.4999), '4.49:1');
  t.equal(formatRatio(4.5), '4.50:1');
  t.equal(formatRatio(21), '21.00:1');
});

t.test('the darker shade that reaches a ratio keeps the hue and is the lightest that passes', async (t) => {
  t.equal(toHex(darkerToReach(parseHexColor('#777777')!, WHITE, AA_NORMAL_TEXT)), '#767676', 'a grey stays grey');
  t.equal(toHex(darkerToReach(parseHexColor('#888')!, WHITE, AA_NORMAL_TEXT)), '#767676');
  const red = darkerToReach([255, 0, 0], WHITE, AA_NORMAL_TEXT);
  t.equal(toHex(red), '#ee0000');
  t.ok(contrastRatio([0xef, 0, 0], WHITE) < AA_NORMAL_TEXT, 'one step lighter fails');

  for (const hex of ['#ffcc00', '#00ff00', '#f2b600', '#66ccff', '#ff66cc', '#3fa34d']) {
    const rgb = parseHexColor(hex)!;
    const darker = darkerToReach(rgb, WHITE, AA_NORMAL_TEXT);
    t.ok(contrastRatio(darker, WHITE) >= AA_NORMAL_TEXT, `${hex} → ${toHex(darker)} passes`);
    t.ok(contrastRatio(darker, WHITE) < AA_NORMAL_TEXT + 0.2, `${hex} → ${toHex(darker)}: not darker than it needs`);
    t.ok(relativeLuminance(darker) < relativeLuminance(rgb), 'darker');
    // The same hue: the channels keep their order and their proportions between the extremes.
    const spread = (c: Rgb) => {
      const [lo, hi] = [Math.min(...c), Math.max(...c)];
      return c.map((v) => (v - lo) / (hi - lo));
    };
    spread(rgb).forEach((v, i) =>
      t.ok(Math.abs(v - spread(darker)[i]!) < 0.03, `${hex} → ${toHex(darker)}: channel ${i}`),
    );
  }
});
