/**
 * The pages' words in a language: the built-in catalogues (config/locales/)
 * under the company's `PAGE_TEXTS_FILE` overrides, formatted with
 * intl-messageformat (plurals by the language's rules). Text for titles and
 * JSON; markup for the page, where every value is a fragment that isolates its
 * direction and every word of the message is escaped.
 */
import { IntlMessageFormat } from 'intl-messageformat';
import {
  CATALOGUES,
  PARSE_OPTIONS,
  RTL_LANGUAGES,
  type Language,
  type MessageKey,
  type PageTextOverrides,
} from '../config/page-catalogue.js';
import { shownValue } from '../config/shown-values.js';
import { joinHtml, type SafeHtml } from './html.js';

/** A value of a message's argument in text: numbers for plurals, strings as written, lists joined as the language joins them. */
export type TextValue = string | number | readonly string[];

/** Unicode's first-strong isolate and its end: a value's direction kept apart from the sentence's in plain text. */
const FSI = '\u2068';
const PDI = '\u2069';

export class PageTexts {
  readonly #overrides: PageTextOverrides;
  readonly #compiled = new Map<string, IntlMessageFormat>();

  constructor(overrides: PageTextOverrides = {}) {
    this.#overrides = overrides;
  }

  /** The message of `key` in `lang`: the company's, else the catalogue's, else English's. */
  message(lang: Language, key: MessageKey): string {
    return this.#overrides[lang]?.[key] ?? CATALOGUES[lang][key] ?? CATALOGUES.en[key]!;
  }

  #format(lang: Language, key: MessageKey): IntlMessageFormat {
    const id = `${lang}\u0000${key}`;
    let f = this.#compiled.get(id);
    if (f === undefined) {
      f = new IntlMessageFormat(this.message(lang, key), lang, undefined, PARSE_OPTIONS);
      this.#compiled.set(id, f);
    }
    return f;
  }

  /**
   * The message as plain text (a title, a JSON field). Each text value's
   * direction and control characters are shown as U+FFFD (a stray U+2069 would
   * end the isolate around it); in a right-to-left language each is then
   * wrapped in Unicode isolates, so an address or a code keeps its own
   * direction inside the sentence.
   */
  text(lang: Language, key: MessageKey, values: Readonly<Record<string, TextValue>> = {}): string {
    const rtl = RTL_LANGUAGES.has(lang);
    const plain: Record<string, string | number> = {};
    for (const [name, v] of Object.entries(values)) {
      const s = typeof v === 'number' ? v : typeof v === 'string' ? shownValue(v) : listText(lang, v.map(shownValue));
      plain[name] = rtl && typeof s === 'string' ? FSI + s + PDI : s;
    }
    return String(this.#format(lang, key).format(plain));
  }

  /**
   * The message as HTML: its words escaped, each value inserted as the fragment
   * given (numbers formatted by the message, for plurals). The fragments are
   * the pages' (web/pages.ts), which show a value's direction and control
   * characters as U+FFFD.
   */
  markup(lang: Language, key: MessageKey, values: Readonly<Record<string, SafeHtml | number>> = {}): SafeHtml {
    const parts = this.#format(lang, key).formatToParts<SafeHtml>(values);
    // A literal part is the message's own words (escaped by joinHtml); an argument is the fragment given.
    return joinHtml(
      parts.map((p) => p.value),
      '',
    );
  }
}

/** A list of names joined as `lang` says "a or b" (Intl.ListFormat, disjunction). */
export function listText(lang: Language, items: readonly string[]): string {
  return new Intl.ListFormat(lang, { type: 'disjunction' }).format(items);
}

/** The list's parts as `lang` joins them ("a, b or c"): each item through `item`, the joining words as text. */
export function listMarkup(lang: Language, items: readonly string[], item: (s: string) => SafeHtml): SafeHtml {
  const parts = new Intl.ListFormat(lang, { type: 'disjunction' }).formatToParts(items);
  return joinHtml(
    parts.map((p) => (p.type === 'element' ? item(p.value) : p.value)),
    '',
  );
}
