/**
 * ORG_NAME and HELP_URL: the company's name and help desk on the landing page
 * and on every error page, escaped; HELP_URL must be https.
 */
import t from 'tap';
import { build } from '../helpers/build.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';

const ORG = { ORG_NAME: 'Acme <Bank> & "Co"', HELP_URL: 'https://help.example.com/it?topic=commbox&x="<y>' };

t.test('the landing and every error page name the company and link its help desk, escaped', async (t) => {
  const { app } = await build(t, ORG);
  const landing = await app.inject('/');
  t.match(landing.body, /Sign in with your <bdi>Acme &lt;Bank&gt; &amp; &quot;Co&quot;<\/bdi> account/);
  t.match(
    landing.body,
    /<a href="https:\/\/help\.example\.com\/it\?topic=commbox&amp;x=%22%3Cy%3E">the help desk of <bdi>Acme &lt;Bank&gt;/,
  );
  t.notMatch(landing.body, /<Bank>/, 'never raw');

  const missing = await app.inject('/nowhere');
  t.equal(missing.statusCode, 404);
  t.match(missing.body, /<bdi>Acme &lt;Bank&gt; &amp; &quot;Co&quot;<\/bdi>: CommBox sign-in/);
  t.match(missing.body, /the help desk of <bdi>Acme/);
  t.match(missing.body, /<title>Page not found: Acme &lt;Bank&gt;/);

  const replay = await app.inject('/callback?state=abc&code=x');
  t.equal(replay.statusCode, 400);
  t.match(replay.body, /help\.example\.com/, 'a refusal page too');

  const json = await app.inject({ url: '/nowhere', headers: { accept: 'application/json' } });
  t.match(json.json(), { error: 'not_found', help: 'https://help.example.com/it?topic=commbox&x=%22%3Cy%3E' });
});

t.test('without ORG_NAME and HELP_URL: generic words, no help link', async (t) => {
  const { app } = await build(t);
  const landing = await app.inject('/');
  t.match(landing.body, /Sign in with your company account/);
  t.notMatch(landing.body, /help desk of/);
  t.notOk('help' in (await app.inject({ url: '/nowhere', headers: { accept: 'application/json' } })).json());
});

t.test('HELP_URL must be https (not even http on localhost); ORG_NAME at most 100 characters', async (t) => {
  t.match(configProblems({ ...TWO_IDP_BASE, HELP_URL: 'http://help.example.com' }), { HELP_URL: /https/ });
  t.match(configProblems({ ...TWO_IDP_BASE, HELP_URL: 'http://localhost/help' }), { HELP_URL: /must be https/ });
  t.match(configProblems({ ...TWO_IDP_BASE, HELP_URL: 'javascript:alert(1)' }), { HELP_URL: /https/ });
  t.match(configProblems({ ...TWO_IDP_BASE, ORG_NAME: 'x'.repeat(101) }), { ORG_NAME: /100 characters/ });
});

t.test('ORG_NAME with a direction mark or a control character is refused at start-up, saying why', async (t) => {
  for (const name of ['\u200fבנק\u200f', 'Acme\u202eknaB', 'Acme\u2069', 'Acme\u0007']) {
    t.match(
      configProblems({ ...TWO_IDP_BASE, ORG_NAME: name }),
      { ORG_NAME: /direction mark or control character .*write the name without it/ },
      JSON.stringify(name),
    );
  }
  t.same(configProblems({ ...TWO_IDP_BASE, ORG_NAME: 'בנק לאומי – Leumi' }), {}, 'Hebrew and a dash are fine');
});
