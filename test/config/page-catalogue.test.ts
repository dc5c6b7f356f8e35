/**
 * The pages' catalogues: every key in every language, the same arguments
 * (names, plural/select structure) as English, every message parses, plurals
 * give every category the language has, and each language says who wrote it.
 */
import t from 'tap';
import {
  CATALOGUE_META,
  CATALOGUES,
  keyArguments,
  LANGUAGES,
  MESSAGE_KEYS,
  messageArguments,
  messageProblem,
  pluralOptions,
  readPageTextOverrides,
  type MessageKey,
} from '../../src/config/page-catalogue.js';
import { Reasons } from '../../src/errors.js';

t.test('every language has every key of English, and no other', async (t) => {
  for (const lang of LANGUAGES) {
    const keys = Object.keys(CATALOGUES[lang]);
    t.same(
      MESSAGE_KEYS.filter((k) => !keys.includes(k)),
      [],
      `${lang}: none missing`,
    );
    t.same(
      keys.filter((k) => !(MESSAGE_KEYS as readonly string[]).includes(k)),
      [],
      `${lang}: none unknown`,
    );
    t.same(
      keys.filter((k) => CATALOGUES[lang][k]!.trim() === ''),
      [],
      `${lang}: none empty`,
    );
  }
});

t.test('every message parses, with the arguments of its English message', async (t) => {
  for (const lang of LANGUAGES)
    for (const key of MESSAGE_KEYS) {
      const problem = messageProblem(key, CATALOGUES[lang][key]!);
      if (problem !== undefined) t.fail(`${lang} ${key}: ${problem}`);
    }
  t.pass('checked');
});

t.test('a plural gives every category the language distinguishes (CLDR), and counts are plurals', async (t) => {
  for (const lang of LANGUAGES) {
    const wanted = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    for (const key of MESSAGE_KEYS)
      for (const plural of pluralOptions(CATALOGUES[lang][key]!)) {
        const missing = wanted.filter((c) => !plural.categories.includes(c));
        t.same(missing, [], `${lang} ${key} {${plural.name}}: every category`);
      }
  }
  // Where the pages count (minutes, groups), English words it as a plural.
  t.equal(keyArguments('reason.login_expired.what').get('minutes'), 'plural');
  t.equal(keyArguments('detail.groups_overage').get('limit'), 'plural');
});

t.test('the keys are the pages: each reason code has its three texts, and the frame its own', async (t) => {
  const reasonKeys = Object.values(Reasons).flatMap((r) => ['title', 'what', 'todo'].map((p) => `reason.${r}.${p}`));
  t.same(
    MESSAGE_KEYS.filter((k) => k.startsWith('reason.')).sort(),
    reasonKeys.sort(),
    'a reason without its texts, or texts of no reason, fail here',
  );
  t.same(
    MESSAGE_KEYS.filter((k) => k.startsWith('detail.')).sort(),
    ['detail.claim_missing', 'detail.groups_overage', 'detail.idp_answered', 'detail.signed_in_as'],
    "the user details (errors.ts UserDetail's keys)",
  );
});

t.test('each language says who wrote it and whether a native speaker reviewed it', async (t) => {
  for (const lang of LANGUAGES) {
    const meta = CATALOGUE_META[lang];
    t.ok(['reviewed', 'machine-assisted'].includes(meta.status), `${lang}: ${meta.status}`);
    t.match(meta.by, /\S/);
    t.match(meta.date, /^\d{4}-\d{2}-\d{2}$/);
  }
  t.same(Object.keys(CATALOGUE_META).sort(), [...LANGUAGES].sort(), 'no other language');
});

t.test('Hebrew: a prefix before a Latin word or a value is joined by a non-breaking hyphen', async (t) => {
  // "ל-CommBox" with U+002D may break after "ל-", leaving the prefix alone at the end of a line (seen at
  // 360 px); U+2011 reads the same and keeps the two together.
  const split = Object.entries(CATALOGUES.he).filter(([, m]) => m !== undefined && /[\u05d0-\u05ea]-[A-Za-z{]/.test(m));
  t.same(
    split.map(([k]) => k),
    [],
    'no ASCII hyphen between a Hebrew prefix and what it joins',
  );
});

t.test('messageArguments: names and kinds, nested ones too; tags are text', async (t) => {
  t.same(
    [...messageArguments('Hello {name}, {n, number}, {d, date}, {h, time}')],
    [
      ['name', 'value'],
      ['n', 'number'],
      ['d', 'date'],
      ['h', 'time'],
    ],
    'a formatted argument is a kind of its own',
  );
  t.same(
    [...messageArguments('{n, plural, one {# of {who}} other {# of {who}}} {g, select, a {x} other {y}}')],
    [
      ['n', 'plural'],
      ['who', 'value'],
      ['g', 'select:a|other'],
    ],
  );
  t.same([...messageArguments('{n, selectordinal, one {#st} other {#th}}')], [['n', 'selectordinal']]);
  t.same([...messageArguments('{x} and {x, plural, other {#}}')], [['x', 'mixed']], 'one name of two kinds');
  t.same([...messageArguments('<b>{x}</b> <script>')], [['x', 'value']], 'markup is literal text');
  t.throws(() => messageArguments('{unclosed'));
});

t.test('messageProblem names what is wrong, and what the key has', async (t) => {
  const key: MessageKey = 'landing.sign_in_with_org';
  t.equal(messageProblem(key, 'Welcome to {org}.'), undefined);
  t.match(
    messageProblem(key, 'Welcome to {company}.'),
    /uses \{company\}, an argument this text does not have \(it has: \{org\}\).*leaves out \{org\}/,
  );
  t.match(messageProblem(key, 'Welcome.'), /^leaves out \{org\}$/);
  t.match(messageProblem('landing.button', 'Go {now}'), /it has: none/);
  t.match(
    messageProblem('reason.login_expired.what', 'After {minutes} minutes.'),
    /uses \{minutes\} where English has \{minutes, plural, …\}/,
  );
  t.match(
    messageProblem(key, '{org, select, acme {Acme} other {us}}'),
    /uses \{org, select, …\} where English has \{org\}/,
  );
  t.match(messageProblem(key, 'Welcome to {org, date}.'), /uses \{org, date\} where English has \{org\}/);
  t.match(messageProblem(key, 'Welcome to {org, number}.'), /uses \{org, number\} where English has \{org\}/);
  t.match(messageProblem(key, 'Welcome to {org, time, short}.'), /uses \{org, time\} where English has \{org\}/);
  t.match(messageProblem(key, 'Welcome {org'), /does not parse as ICU MessageFormat/);
  t.match(messageProblem(key, '{org, plural, one {a}}'), /does not parse/, 'a plural needs its other');
});

t.test('readPageTextOverrides: every problem, by language and key', async (t) => {
  const problems: string[] = [];
  const texts = readPageTextOverrides(
    {
      he: {
        'landing.button': 'פתיחה',
        'landing.nope': 'x',
        'help.link_with_org': 'desk of {company}',
        'error.retry': 3,
      },
      xx: { 'landing.button': 'x' },
      fr: 'not an object',
      de: { 'landing.sign_in_with_org': 'Bei {org anmelden' },
    },
    (p) => problems.push(p),
  );
  t.same(texts, { he: { 'landing.button': 'פתיחה' }, de: {} }, 'only what is right is kept');
  t.match(problems, [
    /^he "landing\.nope" is not a key of the pages' texts/,
    /^he "help\.link_with_org" uses \{company\}/,
    /^he "error\.retry" must be a string/,
    /^"xx" is not a language of the pages \(known: en, he, ar, ru, es, fr, de, pt\)$/,
    /^"fr" must be an object of texts by key$/,
    /^de "landing\.sign_in_with_org" does not parse/,
  ]);
  t.equal(problems.length, 6);
  for (const json of [[], null, 'x']) {
    const p: string[] = [];
    t.same(
      readPageTextOverrides(json, (x) => p.push(x)),
      {},
    );
    t.match(p, [/must be a JSON object of languages/]);
  }
});
