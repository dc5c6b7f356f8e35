/**
 * PAGE_LANGUAGES, PAGE_DEFAULT_LANGUAGE and PAGE_TEXTS_FILE: unknown codes,
 * a default the list does not offer, and every problem of a texts file stop
 * the start-up, each named.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseConfig } from '../../src/config/parse.js';
import { ConfigError } from '../../src/errors.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';

/** Every problem the configuration reports, as `VARIABLE: problem` lines. */
function allProblems(env: Record<string, string>): string[] {
  try {
    parseConfig({ ...TWO_IDP_BASE, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.variable}: ${p.problem}`);
    throw e;
  }
  return [];
}

function textsFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'page-texts-')), 'texts.json');
  writeFileSync(file, content);
  return file;
}

t.test('the defaults: every language, English first', async (t) => {
  const c = parseConfig(TWO_IDP_BASE);
  t.same(c.pageLanguages, ['en', 'he', 'ar', 'ru', 'es', 'fr', 'de', 'pt']);
  t.equal(c.pageDefaultLanguage, 'en');
  t.equal(c.pageTexts, undefined);
});

t.test('PAGE_LANGUAGES: codes in any case, each once; unknown ones refused with the known list', async (t) => {
  const c = parseConfig({ ...TWO_IDP_BASE, PAGE_LANGUAGES: ' HE , ar,he ', PAGE_DEFAULT_LANGUAGE: 'He' });
  t.same(c.pageLanguages, ['he', 'ar']);
  t.equal(c.pageDefaultLanguage, 'he');
  t.same(configProblems({ ...TWO_IDP_BASE, PAGE_LANGUAGES: 'en,he-IL,xx' }), {
    PAGE_LANGUAGES: 'has "he-il", "xx", not a language of the pages: write some of en, he, ar, ru, es, fr, de, pt',
  });
  t.same(configProblems({ ...TWO_IDP_BASE, PAGE_LANGUAGES: ' , ' }), {
    PAGE_LANGUAGES: 'lists no language: write some of en, he, ar, ru, es, fr, de, pt',
  });
});

t.test('PAGE_DEFAULT_LANGUAGE: a language of the pages, and one PAGE_LANGUAGES offers', async (t) => {
  t.same(configProblems({ ...TWO_IDP_BASE, PAGE_DEFAULT_LANGUAGE: 'it' }), {
    PAGE_DEFAULT_LANGUAGE: '"it" is not a language of the pages: write one of en, he, ar, ru, es, fr, de, pt',
  });
  t.same(configProblems({ ...TWO_IDP_BASE, PAGE_LANGUAGES: 'he,ar' }), {
    PAGE_DEFAULT_LANGUAGE: '("en") must be one of PAGE_LANGUAGES (he, ar): add it there, or choose one of them',
  });
  t.same(configProblems({ ...TWO_IDP_BASE, PAGE_LANGUAGES: 'he,ar', PAGE_DEFAULT_LANGUAGE: 'ar' }), {});
});

t.test('PAGE_TEXTS_FILE: the overrides, checked', async (t) => {
  const file = textsFile(
    JSON.stringify({ he: { 'landing.button': 'פתיחה' }, en: { 'help.link_with_org': 'Ask {org}' } }),
  );
  t.same(parseConfig({ ...TWO_IDP_BASE, PAGE_TEXTS_FILE: file }).pageTexts, {
    he: { 'landing.button': 'פתיחה' },
    en: { 'help.link_with_org': 'Ask {org}' },
  });
});

t.test('PAGE_TEXTS_FILE: every problem stops the start-up, each naming its language and key', async (t) => {
  const file = textsFile(
    JSON.stringify({
      xx: { 'landing.button': 'x' },
      en: {
        'landing.nope': 'x',
        'landing.sign_in_with_org': 'Sign in with {company}.',
        'help.link_with_org': 'the help desk',
        'error.retry': 'Try {again',
        'reason.login_expired.what': 'More than {minutes} minutes.',
        'error.banner': '{org, date}: CommBox sign-in',
      },
    }),
  );
  t.same(allProblems({ PAGE_TEXTS_FILE: file, PORT: 'x' }), [
    'PAGE_TEXTS_FILE: "xx" is not a language of the pages (known: en, he, ar, ru, es, fr, de, pt)',
    'PAGE_TEXTS_FILE: en "landing.nope" is not a key of the pages\' texts (see src/config/locales/en.json)',
    'PAGE_TEXTS_FILE: en "landing.sign_in_with_org" uses {company}, an argument this text does not have (it has: {org}); leaves out {org}',
    'PAGE_TEXTS_FILE: en "help.link_with_org" leaves out {org}',
    "PAGE_TEXTS_FILE: en \"error.retry\" does not parse as ICU MessageFormat (EXPECT_ARGUMENT_CLOSING_BRACE); write a literal { or } as '{' or '}'",
    'PAGE_TEXTS_FILE: en "reason.login_expired.what" uses {minutes} where English has {minutes, plural, …}',
    'PAGE_TEXTS_FILE: en "error.banner" uses {org, date} where English has {org}',
    'PORT: must be a whole number from 0 to 65535, got "x"',
  ]);
});

t.test('PAGE_TEXTS_FILE: a file that cannot be read, or is not JSON', async (t) => {
  t.match(configProblems({ ...TWO_IDP_BASE, PAGE_TEXTS_FILE: '/nonexistent/texts.json' }), {
    PAGE_TEXTS_FILE: 'cannot read /nonexistent/texts.json (ENOENT): check the path and the mounted file',
  });
  const file = textsFile('{ "en": ');
  t.match(configProblems({ ...TWO_IDP_BASE, PAGE_TEXTS_FILE: file }), {
    PAGE_TEXTS_FILE: new RegExp(`^${file} is not JSON \\(`),
  });
  t.match(configProblems({ ...TWO_IDP_BASE, PAGE_TEXTS_FILE: textsFile('["en"]') }), {
    PAGE_TEXTS_FILE: /must be a JSON object of languages/,
  });
});
