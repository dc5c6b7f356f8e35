/**
 * The coverage floors of the security-critical directories (`npm run coverage:floors`, which
 * .ci/run runs right after `npm test`). It reads coverage/coverage-summary.json, written by c8
 * when `npm test` ends: run it after the whole suite; after a few files it fails, as it should.
 *
 * A directory's figure is the sum over every file under it, so that a file moved or added
 * inside it counts without an edit here (c8 has per-file and global thresholds, not
 * per-directory ones). Each floor sits a little below the figure measured: a new untested
 * branch shows, another Node version's way of counting does not.
 *
 * A module of types only (interfaces, type aliases) compiles to nothing: no process ever loads it,
 * and c8's `all` lists it at 0%. It has nothing to cover, so it is left out of the sums (and named).
 */
import { readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import ts from 'typescript';

type Metric = 'lines' | 'branches' | 'functions';
type Figures = Record<Metric, { total: number; covered: number }>;

const FLOORS: Record<string, Record<Metric, number>> = {
  'src/oidc': { lines: 98, branches: 91, functions: 98 },
  'src/claims': { lines: 98, branches: 95, functions: 98 },
  'src/login': { lines: 99, branches: 96, functions: 99 },
  'src/config': { lines: 99, branches: 96, functions: 99 },
};

const root = resolve(import.meta.dirname, '..');
const summaryFile = resolve(root, 'coverage', 'coverage-summary.json');

function readSummary(): [string, Figures][] {
  try {
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as Record<string, Figures>;
    return Object.entries(summary)
      .filter(([file]) => file !== 'total')
      .map(([file, figures]) => [relative(root, file).split(sep).join('/'), figures]);
  } catch (error) {
    console.error(`coverage floors: cannot read ${relative(root, summaryFile)} (${String(error)}); run npm test first`);
    process.exit(1);
  }
}

/** True when the module compiles to no JavaScript at all (types only). */
function typesOnly(file: string): boolean {
  const source = readFileSync(resolve(root, file), 'utf8');
  const output = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, removeComments: true },
  }).outputText;
  return output.replace(/export\s*\{\s*\};?/g, '').trim() === '';
}

const typeModules = new Set<string>();
const files = readSummary().filter(([file]) => {
  if (!file.endsWith('.ts') || !typesOnly(file)) return true;
  typeModules.add(file);
  return false;
});
if (typeModules.size > 0) console.log(`types only, nothing to cover: ${[...typeModules].sort().join(', ')}`);
let below = 0;
for (const [dir, floors] of Object.entries(FLOORS)) {
  const inDir = files.filter(([file]) => file.startsWith(`${dir}/`));
  if (inDir.length === 0) {
    console.log(`not ok ${dir}: none of its files is in the coverage summary (moved? update FLOORS in scripts/)`);
    below++;
    continue;
  }
  const results = (Object.keys(floors) as Metric[]).map((metric) => {
    const covered = inDir.reduce((sum, [, f]) => sum + f[metric].covered, 0);
    const total = inDir.reduce((sum, [, f]) => sum + f[metric].total, 0);
    const pct = total === 0 ? 100 : (100 * covered) / total;
    return { metric, pct, floor: floors[metric], ok: pct >= floors[metric] };
  });
  const ok = results.every((r) => r.ok);
  if (!ok) below++;
  const text = results.map((r) => `${r.metric} ${r.pct.toFixed(2)}% (floor ${r.floor}%)${r.ok ? '' : ' BELOW'}`);
  console.log(`${ok ? 'ok' : 'not ok'} ${dir} (${inDir.length} files): ${text.join(', ')}`);
}
if (below > 0) {
  console.log(`coverage floors: ${below} of ${Object.keys(FLOORS).length} directories below their floor`);
  process.exit(1);
}
