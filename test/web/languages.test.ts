/**
 * The pages in the reader's language: chosen from Accept-Language among
 * PAGE_LANGUAGES, right to left for Hebrew and Arabic with the values
 * isolated, the same language asked of the IdP (ui_locales), and the
 * company's own words from PAGE_TEXTS_FILE.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CATALOGUES, LANGUAGES, RTL_LANGUAGES as RTL } from '../../src/config/page-catalogue.js';
import { Reasons, type UserDetail } from '../../src/errors.js';
import { ACCEPT_LANGUAGE_READ, pageLanguage } from '../../src/web/language.js';
import { errorJson, renderErrorPage, renderLanding, renderLoggedOut } from '../../src/web/pages.js';
import { Browser } from '../helpers/browser.js';
import { build } from '../helpers/build.js';
import { startHostileStack } from '../helpers/stack.js';

const DETAILS: readonly UserDetail[] = [
  { key: 'detail.idp_answered', values: { error: 'access_denied' } },
  { key: 'detail.claim_missing', values: { claims: ['email', 'phone_number'] } },
  { key: 'detail.groups_overage', values: { limit: 200, setting: 'GROUPS_OVERAGE=graph', permission: 'G.Read' } },
  { key: 'detail.signed_in_as', values: { email: 'alice@example.com' } },
];

t.test('every reason and every detail renders in every language, as a page and as JSON', async (t) => {
  const ctx = { loginUrl: '/login', orgName: 'Acme', helpUrl: 'https://help.example.com/' };
  for (const lang of LANGUAGES) {
    for (const reason of Object.values(Reasons)) {
      const page = renderErrorPage(reason, 'ref-1', ctx, DETAILS[0], lang);
      t.ok(page.includes(`<html lang="${lang}"`), `${lang} ${reason}`);
      const json = errorJson(reason, 'ref-1', DETAILS[1], ctx, lang);
      t.equal(json['error'], reason, 'the reason code stays the same in every language');
      t.ok(json['title'] && json['message'] && json['action'] && json['detail']);
    }
    for (const detail of DETAILS) renderErrorPage(Reasons.claimMissing, 'ref-1', ctx, detail, lang);
    t.ok(renderLanding(ctx, lang).includes(`<html lang="${lang}"`));
  }
  t.match(renderErrorPage(Reasons.loginExpired, 'r', ctx, undefined, 'ru'), /прошло больше 10 минут\./);
  t.match(renderErrorPage(Reasons.loginExpired, 'r', ctx, undefined, 'en'), /More than 10 minutes passed/);
  t.match(
    renderErrorPage(Reasons.groupsOverage, 'r', ctx, DETAILS[2], 'ru'),
    /более чем в 200 группах\. Задайте <code>GROUPS_OVERAGE=graph<\/code>/,
    'the count in the plural form the number takes',
  );
});

t.test(
  'a right-to-left page: dir="rtl", the organisation, codes and the reference isolated, all escaped',
  async (t) => {
    const ctx = { loginUrl: '/login', orgName: 'Acme <Bank>', helpUrl: 'https://help.example.com/' };
    const page = renderErrorPage(
      Reasons.claimMissing,
      'ref-<1>',
      ctx,
      { key: 'detail.claim_missing', values: { claims: ['email', 'phone<x>'] } },
      'he',
    );
    t.match(page, /^<!doctype html>\n<html lang="he" dir="rtl">\n/);
    t.match(
      page,
      /<title>\u2068חסר מידע בחשבון שלך\u2069: \u2068Acme &lt;Bank&gt;\u2069<\/title>/,
      'isolated in the title too',
    );
    t.match(page, /<p class="org"><bdi>Acme &lt;Bank&gt;<\/bdi>: התחברות ל\u2011CommBox<\/p>/);
    t.match(page, /<p>חסר: <code>email<\/code> או <code>phone&lt;x&gt;<\/code>\.<\/p>/, 'a Hebrew "or" between codes');
    t.match(page, /מוקד התמיכה של <bdi>Acme &lt;Bank&gt;<\/bdi><\/a>/);
    t.match(
      page,
      /<p class="ref">מספר אסמכתא: <code>ref-&lt;1&gt;<\/code> \(<bdi dir="ltr">claim_missing<\/bdi>\)<\/p>/,
    );
    t.notMatch(page, /<Bank>|<x>|<1>/, 'never raw');
    t.match(renderLanding(ctx, 'ar'), /<html lang="ar" dir="rtl">/);
    t.match(renderLanding(ctx, 'ru'), /<html lang="ru">\n/, 'left to right: no dir');
    t.match(renderLanding(ctx, 'he'), /יש להתחבר עם החשבון שלך ב\u2011<bdi>Acme &lt;Bank&gt;<\/bdi>\./);
  },
);

t.test('the account used, in every language: an address isolated left to right, escaped', async (t) => {
  const detail: UserDetail = { key: 'detail.signed_in_as', values: { email: '<b>alice</b>@example.com' } };
  const line = (lang: (typeof LANGUAGES)[number]) =>
    /<p>([^\n]*<bdi dir="ltr">[^<]*<\/bdi>[^\n]*)<\/p>\n/.exec(
      renderErrorPage(Reasons.groupNotAllowed, 'r', { loginUrl: '/login' }, detail, lang),
    )?.[1];
  const address = '<bdi dir="ltr">&lt;b&gt;alice&lt;/b&gt;@example.com</bdi>';
  t.equal(line('en'), `You signed in as ${address}.`);
  t.equal(line('he'), `התחברת בתור ${address}.`);
  t.equal(line('ar'), `تم تسجيل دخولك باسم ${address}.`);
  t.equal(line('fr'), `Compte utilisé pour la connexion\u00a0: ${address}.`);
  for (const lang of LANGUAGES) t.ok(line(lang)?.includes(address), `${lang}: the address, isolated and escaped`);
  // In text (JSON), a right-to-left language isolates it with Unicode's isolates.
  t.equal(
    errorJson(Reasons.groupNotAllowed, 'r', detail, undefined, 'en')['detail'],
    'You signed in as <b>alice</b>@example.com.',
  );
  t.equal(
    errorJson(Reasons.groupNotAllowed, 'r', detail, undefined, 'he')['detail'],
    'התחברת בתור \u2068<b>alice</b>@example.com\u2069.',
  );
});

/** Unicode's direction controls: marks, embeddings, overrides and isolates. */
const DIRECTION_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/**
 * The direction controls of `text` that the template did not write: a right-to-left language's text (a
 * title, JSON) isolates each value with FSI…PDI, a pair with no direction control between them.
 */
const strayControls = (text: string) =>
  text
    .replace(/\u2068[^\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]*\u2069/g, '')
    .match(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g) ?? [];

t.test(
  "a value's direction controls never reach a page or JSON: shown as U+FFFD, the page's own isolates unchanged",
  async (t) => {
    // Raw, U+202E turns the text after it around, and U+2069 first ends the isolate the value sits in, so that
    // the sentence's own words are turned around too ("x.nimda yb deined"). The other controls do the like.
    const hostile = 'x\u2069\u202edenied by admin\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u0007';
    const shown = `x\ufffd\ufffddenied by admin${'\ufffd'.repeat(11)}`;
    const details = (v: string): UserDetail[] => [
      { key: 'detail.idp_answered', values: { error: v } },
      { key: 'detail.claim_missing', values: { claims: [v, `email${v}`] } },
      { key: 'detail.groups_overage', values: { limit: 200, setting: v, permission: v } },
      { key: 'detail.signed_in_as', values: { email: `a${v}@example.com` } },
    ];
    const ctx = (v: string) => ({ loginUrl: '/login', orgName: `Acme${v}` });
    /** A page's own controls: only its title's isolates (text), in a right-to-left language; none in its body. */
    const check = (page: string, what: string) => {
      t.same(strayControls(page), [], `${what}: no direction control of the value`);
      t.notMatch(page.slice(page.indexOf('</title>')), DIRECTION_CONTROLS, `${what}: none in the body`);
    };
    for (const lang of LANGUAGES) {
      const landing = renderLanding(ctx(hostile), lang);
      check(landing, `${lang}: the landing page (the company's name)`);
      t.equal(landing, renderLanding(ctx(shown), lang), `${lang}: the landing page, as with U+FFFD`);
      const loggedOut = renderLoggedOut(ctx(hostile), lang);
      check(loggedOut, `${lang}: the sign-out page (the company's name)`);
      t.equal(loggedOut, renderLoggedOut(ctx(shown), lang), `${lang}: the sign-out page, as with U+FFFD`);
      details(hostile).forEach((detail, i) => {
        const clean = details(shown)[i]!;
        const page = renderErrorPage(Reasons.idpError, 'r', ctx(hostile), detail, lang);
        check(page, `${lang} ${detail.key}`);
        t.equal(page, renderErrorPage(Reasons.idpError, 'r', ctx(shown), clean, lang), `${lang} ${detail.key}: page`);
        t.ok(page.includes(shown), `${lang} ${detail.key}: the value is there, as U+FFFD`);
        const json = errorJson(Reasons.idpError, 'r', detail, ctx(hostile), lang);
        t.same(json, errorJson(Reasons.idpError, 'r', clean, ctx(shown), lang), `${lang} ${detail.key}: JSON`);
        t.same(strayControls(JSON.stringify(json)), [], `${lang} ${detail.key}: none in JSON but its own isolates`);
        if (!RTL.has(lang)) t.notMatch(JSON.stringify(json), DIRECTION_CONTROLS, `${lang}: none at all`);
      });
    }
  },
);

t.test('pageLanguage: q-values, regions, case, *, and the offered languages', async (t) => {
  const all = {};
  const cases: [string | undefined, object, string][] = [
    [undefined, all, 'en'],
    ['', all, 'en'],
    ['he-IL', all, 'he'],
    ['HE-il', all, 'he'],
    ['pt-BR,pt;q=0.9', all, 'pt'],
    ['fr;q=0.5, de;q=0.9', all, 'de'],
    ['ja, ru;q=0.1', all, 'ru'],
    ['ja', all, 'en'],
    ['*', all, 'en'],
    ['ar-EG;q=0.8, *;q=0.9', all, 'en'],
    ['es;q=0', all, 'en'],
    ['he-IL', { languages: ['en', 'ru'] }, 'en'],
    ['he, ru;q=0.5', { languages: ['en', 'ru'] }, 'ru'],
    [undefined, { languages: ['en', 'ru'], defaultLanguage: 'ru' }, 'ru'],
    ['*', { languages: ['en', 'ru'], defaultLanguage: 'ru' }, 'ru'],
    ['de', { languages: ['en', 'ru'], defaultLanguage: 'ru' }, 'ru'],
    ['en', { languages: ['he'], defaultLanguage: 'he' }, 'he'],
  ];
  for (const [header, choice, want] of cases)
    t.equal(pageLanguage(header, choice), want, `${header} ${JSON.stringify(choice)}`);
});

t.test('pageLanguage reads only the first entries of a long header', async (t) => {
  const filler = Array.from({ length: 2000 }, (_, i) => `x${i};q=0.1`).join(',');
  t.ok(filler.length > 16 * ACCEPT_LANGUAGE_READ);
  t.equal(pageLanguage(`he-IL,${filler}`, {}), 'he', 'an entry within the bound counts');
  t.equal(pageLanguage(`${filler},he-IL`, {}), 'en', 'an entry past the bound is not read');
  const head = 'ru;q=0.5,';
  const cut = `${head}${'y'.repeat(ACCEPT_LANGUAGE_READ - 2 - head.length)},he-IL`;
  t.equal(pageLanguage(cut, {}), 'ru', 'the entry the bound cuts through is left out whole');
  t.equal(pageLanguage('z'.repeat(ACCEPT_LANGUAGE_READ + 1), {}), 'en', 'one entry longer than the bound: none');
});

t.test(
  "over HTTP: the landing page and the refusals in the browser's language, with Vary and Content-Language",
  async (t) => {
    const { app } = await build(t);
    for (const [header, want] of [
      ['he-IL,he;q=0.9,en;q=0.5', 'he'],
      ['fr;q=0.5, de;q=0.9', 'de'],
      [undefined, 'en'],
    ] as const) {
      const headers = header === undefined ? {} : { 'accept-language': header };
      const landing = await app.inject({ url: '/', headers });
      t.equal(landing.headers['content-language'], want);
      t.match(landing.headers['vary'], /accept-language/i);
      t.match(landing.body, new RegExp(`<html lang="${want}"`));
      const missing = await app.inject({ url: '/nowhere', headers });
      t.equal(missing.statusCode, 404);
      t.equal(missing.headers['content-language'], want);
      t.match(missing.headers['vary'], /accept-language/i);
      t.ok(missing.body.includes(CATALOGUES[want]['reason.not_found.title']!), `${want}: the title`);
    }
    const hebrew = await app.inject({ url: '/', headers: { 'accept-language': 'he-IL' } });
    t.match(hebrew.body, /<html lang="he" dir="rtl">/);
    t.match(hebrew.body, /פתיחת CommBox/);

    const json = await app.inject({
      url: '/nowhere',
      headers: { accept: 'application/json', 'accept-language': 'ru' },
    });
    t.match(json.json(), { error: 'not_found', title: 'Страница не найдена', reference: /^[0-9a-f]{16}$/ });
    t.equal(json.headers['content-language'], 'ru');
  },
);

t.test('PAGE_LANGUAGES limits the languages; PAGE_DEFAULT_LANGUAGE answers the rest', async (t) => {
  const { app } = await build(t, { PAGE_LANGUAGES: 'en,RU', PAGE_DEFAULT_LANGUAGE: 'ru' });
  const lang = async (header?: string) =>
    (await app.inject({ url: '/nowhere', headers: header === undefined ? {} : { 'accept-language': header } })).headers[
      'content-language'
    ];
  t.equal(await lang('he-IL'), 'ru', 'Hebrew is not offered');
  t.equal(await lang('he-IL, en;q=0.5'), 'en');
  t.equal(await lang(), 'ru');
});

t.test(
  'a Hebrew browser refused by the rules: a Hebrew right-to-left page, its reference in the log, no ticket',
  async (t) => {
    const s = await startHostileStack({ env: { ALLOWED_GROUPS: 'commbox-agents', ORG_NAME: 'Acme Bank' } });
    t.teardown(() => s.close());
    s.idp.user = 'bob';
    const b = new Browser({ headers: { 'accept-language': 'he-IL,he;q=0.9,en;q=0.8' } });
    const r = await b.walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl });
    t.equal(r.last.status, 403);
    t.equal(s.idp.lastAuthorize?.['ui_locales'], 'he', 'the IdP was asked for Hebrew');
    t.equal(r.last.headers['content-language'], 'he');
    t.match(r.last.body, /<html lang="he" dir="rtl">/);
    t.match(r.last.body, /<h1>אין לך גישה ל\u2011CommBox<\/h1>/);
    t.match(r.last.body, /<p class="org"><bdi>Acme Bank<\/bdi>: התחברות ל\u2011CommBox<\/p>/);
    const ref = /מספר אסמכתא: <code>([0-9a-f]{16})<\/code> \(<bdi dir="ltr">group_not_allowed<\/bdi>\)/.exec(
      r.last.body,
    )?.[1];
    t.ok(ref, 'the reference, isolated left to right');
    t.match(
      s.logs.find((e) => e['reqId'] === ref),
      { reason: 'group_not_allowed' },
      'the reference is the log line',
    );
    t.equal(s.ticketRequests(), 0, 'no ticket');
  },
);

t.test(
  'ui_locales: the page language, unless the company or the link chose one, or the browser asked for none offered',
  async (t) => {
    const uiLocales = async (env: Record<string, string>, query = '', header: string | null = 'he-IL') => {
      const s = await startHostileStack({ env });
      t.teardown(() => s.close());
      const b = new Browser({ headers: header === null ? {} : { 'accept-language': header } });
      const hop = await b.fetch(`${s.base}/login${query}`);
      return new URL(hop.location!).searchParams.getAll('ui_locales');
    };
    t.same(await uiLocales({}), ['he']);
    t.same(await uiLocales({}, '', null), ['en'], 'no header: the default language');
    t.same(
      await uiLocales({ PAGE_LANGUAGES: 'en,ar' }),
      [],
      'none the pages offer: nothing, the IdP reads the browser',
    );
    t.same(await uiLocales({ PAGE_LANGUAGES: 'en,ar' }, '', 'he-IL,ar;q=0.5'), ['ar'], 'an offered one further down');
    t.same(await uiLocales({ PAGE_LANGUAGES: 'en' }, '', 'en-GB'), ['en'], 'a single offered language it asks for');
    t.same(await uiLocales({ PAGE_LANGUAGES: 'en' }), [], 'and not one it does not');
    t.same(await uiLocales({ OIDC_AUTH_PARAMS: 'ui_locales=de' }), ['de'], "the company's fixed value wins");
    t.same(await uiLocales({ OIDC_AUTH_PARAMS: 'UI_Locales=de' }), [], 'in any letter case (sent as written)');
    t.same(
      await uiLocales({ OIDC_PASS_THROUGH_PARAMS: 'ui_locales' }, '?ui_locales=fr'),
      ['fr'],
      "the link's value, when the company passes it through",
    );
    t.same(
      await uiLocales({ OIDC_PASS_THROUGH_PARAMS: 'ui_locales' }),
      ['he'],
      'a link without one: the page language',
    );
  },
);

t.test("PAGE_TEXTS_FILE: the company's words replace the built-in ones, per language and key", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'page-texts-'));
  const file = join(dir, 'texts.json');
  writeFileSync(
    file,
    JSON.stringify({
      en: { 'landing.button': 'Start CommBox <now>', 'landing.sign_in_with_org': 'Use your {org} badge.' },
      he: { 'reason.not_found.title': 'אין כאן כלום' },
    }),
  );
  const { app } = await build(t, { PAGE_TEXTS_FILE: file, ORG_NAME: 'Acme' });
  const landing = await app.inject('/');
  t.match(landing.body, /<a class="button" href="[^"]+">Start CommBox &lt;now&gt;<\/a>/, 'escaped, never markup');
  t.match(landing.body, /<p>Use your <bdi>Acme<\/bdi> badge\.<\/p>/);
  const he = await app.inject({ url: '/nowhere', headers: { 'accept-language': 'he' } });
  t.match(he.body, /<h1>אין כאן כלום<\/h1>/);
  t.match(he.body, /<p>אין דף בכתובת הזו\.<\/p>/, 'the keys not overridden keep the catalogue');
  const heLanding = await app.inject({ url: '/', headers: { 'accept-language': 'he' } });
  t.match(heLanding.body, /פתיחת CommBox<\/a>/, 'another language keeps its own button');
});
