/**
 * The layer rules `npm run lint` enforces (.dependency-cruiser.cjs): each rule, run on a small tree
 * laid out like src/ with one back-reference per rule, reports that back-reference. A rule that
 * matches nothing would let every back-reference through; this is the test that it cannot.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../', import.meta.url));
const run = promisify(execFile);

/** A tree laid out like src/; each file holds the one import that breaks the rule named beside it. */
const TREE: Record<string, { imports: string[]; breaks?: string }> = {
  'src/errors.ts': { imports: ["import { LIMIT } from './config/limits.js';"], breaks: 'errors-is-a-leaf' },
  // A type import is a dependency too.
  'src/config/limits.ts': {
    imports: ["import type { Login } from '../login/flow.js';", "import { CYCLE } from './cycle.js';"],
    breaks: 'config-imports-no-layer-above',
  },
  'src/config/cycle.ts': { imports: ["import { LIMIT } from './limits.js';"], breaks: 'no-cycles' },
  'src/net/send.ts': {
    imports: ["import type { Verifier } from '../oidc/verify.js';"],
    breaks: 'net-imports-no-layer-above',
  },
  'src/oidc/verify.ts': {
    imports: ["import type { Claims } from '../claims/rules.js';"],
    breaks: 'oidc-claims-commbox-are-siblings',
  },
  'src/claims/rules.ts': {
    imports: ["import type { Login } from '../login/flow.js';"],
    breaks: 'oidc-claims-commbox-import-no-layer-above',
  },
  'src/login/flow.ts': {
    imports: ["import type { Page } from '../web/page.js';"],
    breaks: 'login-imports-no-layer-above',
  },
  'src/web/page.ts': { imports: ["import type { Route } from '../routes/route.js';"], breaks: 'web-imports-no-routes' },
  'src/routes/route.ts': {
    imports: ["import type { Bridge } from '../bridge.js';"],
    breaks: 'routes-import-no-wiring',
  },
  'src/bridge.ts': { imports: ["import { main } from './server.js';"], breaks: 'app-imports-no-server' },
  'src/server.ts': { imports: ["import { helper } from './helper.js';"] },
  'src/app.ts': { imports: ["import { helper } from './helper.js';"], breaks: 'every-module-in-a-layer' },
  'src/helper.ts': { imports: [] },
  // A folder no rule names: without its own rule, config → util → login would pass.
  'src/config/uses-util.ts': { imports: ["import { u } from '../util/u.js';"], breaks: 'every-folder-a-layer' },
  'src/util/u.ts': { imports: ["import type { Login } from '../login/flow.js';"] },
  'src/commbox/client.ts': {
    imports: ["import { fixture } from '../../test/fixture.js';", "import { gone } from './missing.js';"],
    breaks: 'src-imports-no-tooling',
  },
  'test/fixture.ts': { imports: [] },
};

t.test('each layer rule reports the back-reference it names, type imports included', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const [file, { imports }] of Object.entries(TREE)) {
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    writeFileSync(join(dir, file), `${imports.join('\n')}\nexport const x = 1;\n`);
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true } }),
  );
  const cli = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const config = join(root, '.dependency-cruiser.cjs');
  // Exits non-zero when a rule is broken, which is the point: read its report either way.
  const out = await run(process.execPath, [cli, 'src', '--config', config, '--output-type', 'json'], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const report = JSON.parse(out.stdout) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[] };
  };
  const fired = new Map<string, string[]>();
  for (const v of report.summary.violations) fired.set(v.rule.name, [...(fired.get(v.rule.name) ?? []), v.from]);
  for (const [file, { breaks }] of Object.entries(TREE)) {
    if (breaks === undefined) continue;
    t.ok(fired.get(breaks)?.includes(file), `${breaks} reports ${file}`);
  }
  t.ok(fired.has('no-unresolvable'), 'an import that resolves to nothing is reported');
});

t.test('src/ breaks no layer rule', async (t) => {
  const cli = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
  const out = await run(
    process.execPath,
    [cli, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
    {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    },
  ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const report = JSON.parse(out.stdout) as {
    summary: { violations: { rule: { name: string }; from: string; to: string }[] };
  };
  t.same(
    report.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
    [],
    'no violation',
  );
});
