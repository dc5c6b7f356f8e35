/**
 * The `.env` blocks of the IdP guides (docs/idp/) are configurations the bridge starts with:
 * a guide that names a variable wrongly, or gives a value the bridge refuses, fails here.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { parseConfig } from '../src/config/parse.js';
import { createTestCa } from './helpers/redis.js';

const dir = new URL('../docs/idp/', import.meta.url);

/** What a guide leaves to the README (the CommBox side, the cookie secret), as an operator would fill it. */
const REST = {
  PUBLIC_URL: 'https://commbox-sso.example.com',
  COMMBOX_API_KEY: 'api-key-0123456789',
  COMMBOX_BRAND: 'example',
  COMMBOX_LOGIN_URL: 'https://example.commbox.io/login',
  COOKIE_SECRET: 'Zk3q9P0vLw7xR2mT8yB5nC1dF6gH4jK0sA9eU3iO7pQ=',
};

/** The files a guide's `*_FILE` variables name, as an operator would have them: a key pair and its certificate. */
const ca = createTestCa();
const readFile = (path: string) =>
  /\.(pem|crt|cer)$/.test(path) && /cert/i.test(path)
    ? readFileSync(ca.certFile, 'utf8')
    : /\.(pem|key)$/.test(path)
      ? readFileSync(ca.keyFile, 'utf8')
      : 'a-secret-read-from-a-file-0123456789';

/** What an operator writes for a guide's `<placeholder>`. */
const filled = (value: string) => value.replace(/<[^>]+>/g, 'example');

/** The variables of each ```sh block of a guide that sets OIDC_ISSUER (a whole IdP's settings). */
function envBlocks(markdown: string): Record<string, string>[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map(([, body]) =>
      Object.fromEntries(
        body!
          .split('\n')
          .map((l) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l.trim()))
          .filter((m) => m !== null)
          .map((m) => [m[1]!, filled(m[2]!.replace(/\s+#.*$/, ''))]),
      ),
    )
    .filter((env) => 'OIDC_ISSUER' in env);
}

/** `rest` less the variables `env` gives as files. */
const withoutFiled = (rest: Record<string, string>, env: Record<string, string>) =>
  Object.fromEntries(Object.entries(rest).filter(([k]) => !(`${k}_FILE` in env)));

t.test("every IdP guide's .env block is a valid configuration", async (t) => {
  const guides = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md');
  t.ok(guides.includes('generic.md'));
  for (const guide of guides) {
    const blocks = envBlocks(readFileSync(new URL(guide, dir), 'utf8'));
    t.ok(blocks.length > 0, `${guide} has a .env block`);
    for (const env of blocks)
      t.doesNotThrow(
        () => parseConfig({ ...withoutFiled(REST, env), ...env }, readFile),
        `${guide}: ${env['OIDC_ISSUER']}`,
      );
  }
  // The check can fail: a misspelt variable in a block is refused.
  t.throws(() =>
    parseConfig({ ...REST, ...envBlocks('```sh\nOIDC_ISSUER=https://idp.example.com\nALLOWED_GROUP=x\n```')[0] }),
  );
});

t.test('the generic guide asks for the scope its groups come from', async (t) => {
  const [env] = envBlocks(readFileSync(new URL('generic.md', dir), 'utf8'));
  t.match(env, { OIDC_SCOPES: 'openid email profile groups', ALLOWED_GROUPS: 'commbox-agents', DRY_RUN: 'true' });
});
