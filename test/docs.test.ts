/**
 * The documentation: the README stays an entry page, every link between the docs
 * resolves, and every reason code a user or an operator can meet is explained.
 */
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIT_EVENTS } from '../src/observability/audit.js';
import { CHECKS, REASON_STATUS, Reasons, STATUS_OVERRIDE_REASONS, type Reason } from '../src/errors.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const read = (f: string) => readFileSync(join(root, f), 'utf8');
const pages = [
  'README.md',
  'SECURITY.md',
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

/** The rows of the markdown table whose header row starts with `| first |`: each row's cells, trimmed. */
function tableRows(doc: string, first: string): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows;
}
const code = (cell: string) => /^`([a-z_.]+)`$/.exec(cell)?.[1];

t.test('docs/troubleshooting.md explains every reason code, each in its row, with its status', async (t) => {
  const rows = tableRows(read('docs/troubleshooting.md'), 'Reason');
  const documented = rows.map(([reason]) => code(reason!));
  t.same([...documented].sort(), Object.values(Reasons).sort(), 'one row per reason code, and no other');
  for (const [cell, statuses] of rows) {
    const reason = code(cell!) as Reason;
    const numbers = [...statuses!.matchAll(/\b\d{3}\b/g)].map(([n]) => Number(n));
    t.equal(numbers[0], REASON_STATUS[reason], `${reason}: its status first`);
    if (numbers.length > 1)
      t.ok((STATUS_OVERRIDE_REASONS as readonly string[]).includes(reason), `${reason} may answer with another status`);
  }
});

t.test('docs/troubleshooting.md explains every check code, and only those, with reasons that exist', async (t) => {
  const rows = tableRows(read('docs/troubleshooting.md'), 'Check');
  t.same(rows.map(([check]) => code(check!)).sort(), [...CHECKS].sort(), 'one row per check code, and no other');
  for (const [check, reasons] of rows) {
    const named = [...reasons!.matchAll(/`([a-z_]+)`/g)].map(([, r]) => r);
    t.ok(named.length > 0, `${check} names its reason`);
    for (const r of named) t.ok((Object.values(Reasons) as string[]).includes(r!), `${check}: ${r} is a reason code`);
  }
});

t.test('docs/audit.md documents every audit event, and only those; the code writes no other', async (t) => {
  const documented = [...read('docs/audit.md').matchAll(/^### `([a-z_]+)`$/gm)].map((m) => m[1]!);
  t.same(documented.toSorted(), Object.keys(AUDIT_EVENTS).toSorted(), 'a section per event of AUDIT_EVENTS');
  // Every `{ event: '…' }` written to an audit logger in src/ (a call on a name with "audit" in it, or
  // the audit sink of a login); the object's first brace level only, which is where the event name sits.
  const written = new Set<string>();
  for (const file of readdirSync(join(root, 'src'), { recursive: true }).map(String)) {
    if (!file.endsWith('.ts')) continue;
    const source = read(`src/${file}`);
    for (const m of source.matchAll(/audit(?:\.log)?\.(?:info|warn|error)\(\s*([^;]*?)\)\s*;/gs))
      for (const e of m[1]!.matchAll(/event: '([a-z_]+)'/g)) written.add(e[1]!);
  }
  t.ok(written.size >= 6, `found the audit writes (${[...written].join(', ')})`);
  for (const e of written) t.ok(Object.hasOwn(AUDIT_EVENTS, e), `${e}: an event of AUDIT_EVENTS`);
});
