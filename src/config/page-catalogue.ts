/**
 * The words of the pages in every language: one flat ICU MessageFormat JSON
 * file per language (./locales/<lang>.json, keys like `reason.<code>.title`),
 * the format translation platforms import. English is the reference: its keys
 * are the keys, and its arguments (names, and plural/select structure) are
 * what every translation and every `PAGE_TEXTS_FILE` override must have.
 *
 * It sits in config/ because `PAGE_TEXTS_FILE` is checked against it at start-up;
 * the pages (web/) format it. Who translated each language, and whether a native
 * speaker reviewed it, is in ./locales/meta.json, apart from the messages, so a
 * translation platform never offers it as text to translate.
 */
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import ar from './locales/ar.json' with { type: 'json' };
import de from './locales/de.json' with { type: 'json' };
import en from './locales/en.json' with { type: 'json' };
import es from './locales/es.json' with { type: 'json' };
import fr from './locales/fr.json' with { type: 'json' };
import he from './locales/he.json' with { type: 'json' };
import meta from './locales/meta.json' with { type: 'json' };
import pt from './locales/pt.json' with { type: 'json' };
import ru from './locales/ru.json' with { type: 'json' };

/** The languages of the pages (BCP 47 primary language subtags), English first. */
export const LANGUAGES = ['en', 'he', 'ar', 'ru', 'es', 'fr', 'de', 'pt'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The languages written right to left. */
export const RTL_LANGUAGES: ReadonlySet<Language> = new Set<Language>(['he', 'ar']);

/** A message's key, e.g. `landing.title` or `reason.login_expired.what`. */
export type MessageKey = keyof typeof en;

/** Every key, in the English catalogue's order. */
export const MESSAGE_KEYS = Object.keys(en) as readonly MessageKey[];

/** The built-in catalogues: each language's messages by key. */
export const CATALOGUES: Readonly<Record<Language, Readonly<Partial<Record<string, string>>>>> = {
  en,
  he,
  ar,
  ru,
  es,
  fr,
  de,
  pt,
};

/** Who wrote a language's catalogue and whether a native speaker has signed it off. */
export interface CatalogueMeta {
  readonly status: 'reviewed' | 'machine-assisted';
  readonly by: string;
  readonly date: string;
}
export const CATALOGUE_META = meta as Readonly<Record<Language, CatalogueMeta>>;

/** Text overrides per language (`PAGE_TEXTS_FILE`), each checked against the English key's arguments. */
export type PageTextOverrides = Readonly<Partial<Record<Language, Readonly<Partial<Record<MessageKey, string>>>>>>;

const LANGUAGE_SET: ReadonlySet<string> = new Set(LANGUAGES);
const KEY_SET: ReadonlySet<string> = new Set(MESSAGE_KEYS);

export const isLanguage = (code: string): code is Language => LANGUAGE_SET.has(code);
export const isMessageKey = (key: string): key is MessageKey => KEY_SET.has(key);

/**
 * Tags are text: `<b>` in a message is shown as written (and escaped), never
 * markup, so a message can add no HTML to a page.
 */
export const PARSE_OPTIONS = { ignoreTag: true, requiresOtherClause: true } as const;

/**
 * A message's arguments: name → kind, where the kind is `value` (`{name}`),
 * `number`, `date`, `time` (`{name, number}`, …), `plural`, `selectordinal` or
 * `select:<options>`.
 * Nested arguments (inside plural or select options) count. Throws a
 * SyntaxError when the message does not parse.
 */
export function messageArguments(message: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  const add = (name: string, kind: string) => out.set(name, out.has(name) && out.get(name) !== kind ? 'mixed' : kind);
  const walk = (elements: readonly MessageFormatElement[]) => {
    for (const el of elements) {
      if (el.type === TYPE.plural) {
        add(el.value, el.pluralType === 'ordinal' ? 'selectordinal' : 'plural');
        for (const option of Object.values(el.options)) walk(option.value);
      } else if (el.type === TYPE.select) {
        add(el.value, `select:${Object.keys(el.options).sort().join('|')}`);
        for (const option of Object.values(el.options)) walk(option.value);
      } else if (el.type === TYPE.argument) {
        add(el.value, 'value');
      } else if (el.type === TYPE.number) {
        // A formatted argument is its own kind: `{org, date}` where English has `{org}` would
        // throw when the page is rendered (a string is not a date), so it must not pass start-up.
        add(el.value, 'number');
      } else if (el.type === TYPE.date) {
        add(el.value, 'date');
      } else if (el.type === TYPE.time) {
        add(el.value, 'time');
      }
    }
  };
  walk(parse(message, PARSE_OPTIONS));
  return out;
}

/** The plural (and ordinal) arguments of a message with the categories each one gives. */
export function pluralOptions(message: string): { name: string; ordinal: boolean; categories: string[] }[] {
  const out: { name: string; ordinal: boolean; categories: string[] }[] = [];
  const walk = (elements: readonly MessageFormatElement[]) => {
    for (const el of elements) {
      if (el.type === TYPE.plural)
        out.push({ name: el.value, ordinal: el.pluralType === 'ordinal', categories: Object.keys(el.options) });
      if (el.type === TYPE.plural || el.type === TYPE.select)
        for (const option of Object.values(el.options)) walk(option.value);
    }
  };
  walk(parse(message, PARSE_OPTIONS));
  return out;
}

const englishArguments = new Map<MessageKey, ReadonlyMap<string, string>>();

/** The arguments of `key` in English: what every translation of it must have. */
export function keyArguments(key: MessageKey): ReadonlyMap<string, string> {
  let args = englishArguments.get(key);
  if (args === undefined) {
    args = messageArguments(en[key]);
    englishArguments.set(key, args);
  }
  return args;
}

const FORMATTED_KINDS: ReadonlySet<string> = new Set(['number', 'date', 'time']);
const describe = (name: string, kind: string) =>
  kind === 'value'
    ? `{${name}}`
    : FORMATTED_KINDS.has(kind)
      ? `{${name}, ${kind}}`
      : `{${name}, ${kind.startsWith('select:') ? 'select' : kind}, …}`;

/**
 * What is wrong with `message` as the text of `key`: it does not parse, or its
 * arguments are not the English message's (one the key does not have, one
 * missing, or one of another kind). Undefined when it is fine.
 */
export function messageProblem(key: MessageKey, message: string): string | undefined {
  let args: ReadonlyMap<string, string>;
  try {
    args = messageArguments(message);
  } catch (e) {
    return `does not parse as ICU MessageFormat (${(e as Error).message}); write a literal { or } as '{' or '}'`;
  }
  const wanted = keyArguments(key);
  const has = [...wanted].map(([n, k]) => describe(n, k)).join(', ') || 'none';
  const problems: string[] = [];
  for (const [name, kind] of args) {
    const want = wanted.get(name);
    if (want === undefined) problems.push(`uses {${name}}, an argument this text does not have (it has: ${has})`);
    else if (want !== kind) problems.push(`uses ${describe(name, kind)} where English has ${describe(name, want)}`);
  }
  for (const [name, kind] of wanted) if (!args.has(name)) problems.push(`leaves out ${describe(name, kind)}`);
  return problems.length === 0 ? undefined : problems.join('; ');
}

/**
 * The overrides of a `PAGE_TEXTS_FILE` (`{ "<lang>": { "<key>": "<ICU message>" } }`),
 * checked: every problem (an unknown language or key, a message that is not
 * text, does not parse or has other arguments than the key's) goes to `bad`,
 * naming the language and the key.
 */
export function readPageTextOverrides(json: unknown, bad: (problem: string) => void): PageTextOverrides {
  const out: Partial<Record<Language, Partial<Record<MessageKey, string>>>> = {};
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    bad('must be a JSON object of languages, e.g. { "he": { "landing.button": "…" } }');
    return out;
  }
  for (const [lang, texts] of Object.entries(json)) {
    if (!isLanguage(lang)) {
      bad(`"${lang}" is not a language of the pages (known: ${LANGUAGES.join(', ')})`);
      continue;
    }
    if (typeof texts !== 'object' || texts === null || Array.isArray(texts)) {
      bad(`"${lang}" must be an object of texts by key`);
      continue;
    }
    const own: Partial<Record<MessageKey, string>> = {};
    for (const [key, message] of Object.entries(texts as Record<string, unknown>)) {
      if (!isMessageKey(key)) {
        bad(`${lang} "${key}" is not a key of the pages' texts (see src/config/locales/en.json)`);
        continue;
      }
      if (typeof message !== 'string') {
        bad(`${lang} "${key}" must be a string (an ICU message)`);
        continue;
      }
      const problem = messageProblem(key, message);
      if (problem !== undefined) bad(`${lang} "${key}" ${problem}`);
      else own[key] = message;
    }
    out[lang] = own;
  }
  return out;
}
