/**
 * The one rule for a value from outside on a page: its direction and control
 * characters shown as U+FFFD (the pages) or as their escapes (the operator's
 * DRY_RUN views), every other character as it is.
 */
import t from 'tap';
import { escapedValue, shownValue } from '../../src/config/shown-values.js';

// Every character the rule covers: C0 (tab and newline too), DEL and C1, the Arabic letter mark, the marks, the
// line and paragraph separators, the embeddings and overrides, the isolates.
const COVERED = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0xa0 - 0x7f }, (_, i) => 0x7f + i),
  0x61c,
  0x200e,
  0x200f,
  ...Array.from({ length: 0x202f - 0x2028 }, (_, i) => 0x2028 + i),
  0x2066,
  0x2067,
  0x2068,
  0x2069,
].map((c) => String.fromCharCode(c));

t.test('each direction and control character is replaced, and nothing else', async (t) => {
  for (const c of COVERED) {
    t.equal(shownValue(`a${c}b`), 'a\ufffdb', `U+${c.charCodeAt(0).toString(16)}`);
    t.equal(escapedValue(`a${c}b`), `a\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}b`);
  }
  t.equal(escapedValue('x\u2069\u202edenied'), 'x\\u2069\\u202Edenied', 'every one, as JSON writes an escape');
  // Their neighbours, and the scripts the pages are written in, are kept.
  const kept = ' ~\u00a0\u061b\u061d\u200d\u2010\u202f\u2065\u206a\ufffd אבג عربي Ωé 😀';
  t.equal(shownValue(kept), kept);
  t.equal(escapedValue(kept), kept);
});
