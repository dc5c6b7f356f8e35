/**
 * The documentation: the README stays an entry page, every link between the docs
 * resolves, and every reason code a user or an operator can meet is explained.
 */
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reasons } from '../src/errors.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const pages = [
  'README.md',
  'CHANGELOG.md',
  'bench/README.md',
  ...readdirSync(join(root, 'docs'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

t.test('the README is an entry page, well under 12 KB', async (t) => {
  t.ok(Buffer.byteLength(read('README.md')) < 12 * 1024, `README.md is ${Buffer.byteLength(read('README.md'))} bytes`);
});

t.test('every relative link in the docs points to a file that exists', async (t) => {
  for (const page of pages) {
    for (const [, target] of read(page).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      t.ok(existsSync(join(root, dirname(page), target!)), `${page} → ${target}`);
    }
  }
});

t.test('docs/troubleshooting.md explains every reason code', async (t) => {
  const doc = read('docs/troubleshooting.md');
  for (const reason of Object.values(Reasons)) t.match(doc, new RegExp(`\`${reason}\``), reason);
});
