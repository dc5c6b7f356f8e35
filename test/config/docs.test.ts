/**
 * The configuration's documentation is generated from the variable table and
 * never stale; only the configuration reads the environment.
 */
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigurationDoc, renderEnvExample } from '../../src/config/docs.js';
import { SECRET_VARIABLES, VARIABLES } from '../../src/config/table.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (f: string) => readFileSync(join(root, f), 'utf8');

t.test('.env.example and docs/configuration.md are what the table generates (npm run docs:config)', async (t) => {
  t.equal(read('.env.example'), renderEnvExample(), '.env.example is up to date');
  t.equal(read('docs/configuration.md'), renderConfigurationDoc(), 'docs/configuration.md is up to date');
});

t.test('every variable and every _FILE is documented', async (t) => {
  const doc = renderConfigurationDoc();
  const env = renderEnvExample();
  for (const name of Object.keys(VARIABLES)) {
    t.match(doc, new RegExp(`\\| \`${name}\``), `${name} in docs/configuration.md`);
    t.match(env, new RegExp(`\\b${name}=`), `${name} in .env.example`);
  }
  for (const name of SECRET_VARIABLES) t.match(env, new RegExp(`\\b${name}_FILE\\b`), `${name}_FILE in .env.example`);
});

t.test('only src/config/environment.ts reads process.env', async (t) => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
  const readers = files(join(root, 'src')).filter(
    (f) => f.endsWith('.ts') && /process\.env\b/.test(readFileSync(f, 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')),
  );
  t.same(
    readers.map((f) => f.slice(root.length)),
    ['src/config/environment.ts'],
  );
});
