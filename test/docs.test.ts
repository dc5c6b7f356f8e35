/**
 * Every variable the bridge reads is documented in .env.example and the README.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { SECRET_VARIABLES, VARIABLES } from '../src/config/parse.js';

const envExample = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

t.test('every variable is in .env.example and the README', async (t) => {
  for (const v of [...VARIABLES, ...SECRET_VARIABLES.map((s) => `${s}_FILE`)]) {
    t.ok(new RegExp(`\\b${v}\\b`).test(envExample), `${v} in .env.example`);
    t.ok(new RegExp(`\\b${v}\\b`).test(readme), `${v} in the README`);
  }
});

t.test('every variable in src/config.ts is in the VARIABLES list', async (t) => {
  const source = readFileSync(new URL('../src/config/parse.ts', import.meta.url), 'utf8');
  const read = new Set([...source.matchAll(/(?:text|required|integer|boolean|list|mapping)\('([A-Z_]+)'/g)].map((m) => m[1]!));
  const listed = new Set<string>([...VARIABLES, ...SECRET_VARIABLES.map((s) => `${s}_FILE`)]);
  for (const v of read) t.ok(listed.has(v), `${v} is listed`);
});
