/**
 * The `html` template: every interpolated value is escaped unless it is a
 * fragment `html`, `raw` or `joinHtml` made; a string is never trusted.
 */
import t from 'tap';
import { escapeHtml, html, joinHtml, raw, type HtmlValue } from '../../src/web/html.js';

const NASTY = `<script>alert("x" & 'y')</script>`;
const ESCAPED = '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;';

t.test('escapeHtml escapes <, >, &, " and \' and nothing else', async (t) => {
  t.equal(escapeHtml(NASTY), ESCAPED);
  t.equal(escapeHtml('plain text, é ü 😀 {org} $1 \\n'), 'plain text, é ü 😀 {org} $1 \\n');
  t.equal(escapeHtml('&amp;'), '&amp;amp;', 'text that looks escaped is text');
});

t.test('text is escaped in element content and in quoted attributes', async (t) => {
  t.equal(html`<p>${NASTY}</p>`.toString(), `<p>${ESCAPED}</p>`);
  const href = `https://x.example/?a=1&b="2"'><script>`;
  t.equal(
    html`<a href="${href}" title='${href}'>x</a>`.toString(),
    `<a href="https://x.example/?a=1&amp;b=&quot;2&quot;&#39;&gt;&lt;script&gt;" title='https://x.example/?a=1&amp;b=&quot;2&quot;&#39;&gt;&lt;script&gt;'>x</a>`,
    'neither quote can end the attribute',
  );
  t.equal(html`${42} ${0}`.toString(), '42 0', 'numbers are written');
});

t.test('the literal parts of the template are kept as written', async (t) => {
  t.equal(html`<p class="a">&amp; "q"</p>\n`.toString(), '<p class="a">&amp; "q"</p>\n');
  t.equal(html``.toString(), '');
});

t.test('a nested html fragment is inserted once, not escaped again', async (t) => {
  const inner = html`<b>${'a & b'}</b>`;
  t.equal(html`<p>${inner}</p>`.toString(), '<p><b>a &amp; b</b></p>');
  t.equal(html`<div>${html`<p>${inner}</p>`}</div>`.toString(), '<div><p><b>a &amp; b</b></p></div>', 'at any depth');
});

t.test('nothing (undefined, null, false) renders as empty, for optional parts', async (t) => {
  const on = true as boolean;
  const off = false as boolean;
  t.equal(html`[${undefined}${null}${false}]`.toString(), '[]');
  t.equal(html`[${on && html`<i>on</i>`}${off && html`<i>off</i>`}]`.toString(), '[<i>on</i>]');
});

t.test('a list renders each item (text escaped, fragments kept) and joins them without a separator', async (t) => {
  t.equal(
    html`<ul>${['<a>', html`<li>${'<b>'}</li>`, ['&', html`<hr>`]]}</ul>`.toString(),
    '<ul>&lt;a&gt;<li>&lt;b&gt;</li>&amp;<hr></ul>',
  );
  t.equal(html`<ul>${[]}</ul>`.toString(), '<ul></ul>');
});

t.test('joinHtml joins with a separator, escaping text items and a text separator', async (t) => {
  t.equal(joinHtml([html`<li>a</li>`, html`<li>b</li>`], '\n').toString(), '<li>a</li>\n<li>b</li>');
  t.equal(joinHtml(['<x>', html`<y>`], ' & ').toString(), '&lt;x&gt; &amp; <y>');
  t.equal(joinHtml(['a', 'b'], html`<br>`).toString(), 'a<br>b', 'a fragment as separator is kept');
  t.equal(joinHtml([], ', ').toString(), '');
});

t.test('raw() is the one way to trust markup, and it is inserted unescaped', async (t) => {
  const style = 'body{font-family:"Segoe UI"}';
  t.equal(html`<style>${raw(style)}</style>`.toString(), `<style>${style}</style>`);
  t.equal(html`<style>${style}</style>`.toString(), '<style>body{font-family:&quot;Segoe UI&quot;}</style>');
});

t.test('a plain string is never trusted: not a fragment turned back into text, not a look-alike object', async (t) => {
  const fragment = html`<b>bold</b>`;
  t.equal(html`${fragment.toString()}`.toString(), '&lt;b&gt;bold&lt;/b&gt;', 'its text is text again');
  t.equal(html`${String(fragment)}`.toString(), '&lt;b&gt;bold&lt;/b&gt;');
  const lookAlike = { toString: () => '<b>forged</b>' } as unknown as HtmlValue;
  t.equal(html`${lookAlike}`.toString(), '&lt;b&gt;forged&lt;/b&gt;', 'an object that only looks like a fragment');
  const sameClass = Object.create(Object.getPrototypeOf(fragment) as object, {
    toString: { value: () => '<b>forged</b>' },
  }) as HtmlValue;
  t.equal(html`${sameClass}`.toString(), '&lt;b&gt;forged&lt;/b&gt;', 'an object of the class, not made by it');
});

t.test('html is only a template tag: strings built at run time are refused', async (t) => {
  const built = Object.assign(['<b>', '</b>'], { raw: ['<b>', '</b>'] }) as unknown as TemplateStringsArray;
  t.throws(() => html(built, 'x'), TypeError);
  t.throws(() => html(Object.freeze(['<b>']) as unknown as TemplateStringsArray), TypeError);
});
