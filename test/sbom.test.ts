/**
 * The software bill of materials the image ships (scripts/sbom.mjs): CycloneDX JSON naming the
 * bridge, its version and licence, listing exactly the production packages of the lockfile, and
 * every package the bundle the image runs is made of; the bundle's LICENSES file gives each one's
 * licence text.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean }>;
};

mkdirSync(join(root, 'test-output'), { recursive: true });
const dir = mkdtempSync(join(root, 'test-output', 'sbom-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
execFileSync(process.execPath, [join(root, 'scripts', 'sbom.mjs'), join(dir, 'sbom.cdx.json')], { cwd: root });

interface Bom {
  bomFormat: string;
  specVersion: string;
  metadata: { component: { name: string; version: string; type: string; licenses: unknown } };
  components: { name: string; version: string }[];
}
const bom = JSON.parse(readFileSync(join(dir, 'sbom.cdx.json'), 'utf8')) as Bom;
const listed = new Set(bom.components.map((c) => `${c.name}@${c.version}`));

/** A lockfile path's package name: `node_modules/a/node_modules/@s/b` → `@s/b`. */
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

t.test('CycloneDX JSON describing the bridge: its name, version and licence', async (t) => {
  t.equal(bom.bomFormat, 'CycloneDX');
  t.match(bom.specVersion, /^1\.\d+$/);
  t.match(bom.metadata.component, { name: pkg.name, version: pkg.version, type: 'application' });
  t.same(bom.metadata.component.licenses, [{ license: { id: 'Apache-2.0' } }]);
});

t.test('it lists the production packages of the lockfile, each once, and no development package', async (t) => {
  const production = Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && entry.dev !== true)
    .map(([path, entry]) => `${nameOf(path)}@${entry.version}`);
  t.same([...listed].sort(), [...new Set(production)].sort(), "exactly the lockfile's production packages");
  for (const [name, range] of Object.entries(pkg.dependencies))
    t.ok(
      bom.components.some((c) => c.name === name),
      `${name} (${range}) is listed`,
    );
  // Shared with development tools: what `npm sbom --omit dev` in the checkout drops.
  for (const name of ['jose', 'semver', 'debug'])
    t.ok(
      bom.components.some((c) => c.name === name),
      `${name} is listed`,
    );
  for (const name of Object.keys(pkg.devDependencies))
    t.notOk(
      bom.components.some((c) => c.name === name),
      `${name} (development) is not`,
    );
});

t.test('every package in the bundle the image runs is in the SBOM, at its version', async (t) => {
  execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs'), dir], { cwd: root });
  const map = JSON.parse(readFileSync(join(dir, 'commbox-sso-bridge.mjs.map'), 'utf8')) as { sources: string[] };
  const bundled = new Set<string>();
  for (const source of map.sources) {
    const first = source.indexOf('node_modules/');
    if (first < 0) continue;
    const last = source.lastIndexOf('node_modules/');
    const [scopeOrName, name] = source.slice(last + 'node_modules/'.length).split('/');
    const path =
      source.slice(first, last) +
      `node_modules/${scopeOrName!.startsWith('@') ? `${scopeOrName}/${name}` : scopeOrName}`;
    bundled.add(path);
  }
  t.ok(bundled.size > 30, `${bundled.size} packages in the bundle`);
  for (const name of ['openid-client', 'jose', 'fastify', 'undici']) t.ok(bundled.has(`node_modules/${name}`));
  const unlisted = [...bundled].filter((path) => !listed.has(`${nameOf(path)}@${lock.packages[path]?.version}`));
  t.same(unlisted, [], 'none is missing from the SBOM');
  // And each one's licence travels with the bundle.
  const licenses = readFileSync(join(dir, 'commbox-sso-bridge.mjs.LICENSES.txt'), 'utf8');
  const unattributed = [...bundled].filter(
    (path) => !licenses.includes(`==== ${nameOf(path)} ${lock.packages[path]?.version} (`),
  );
  t.same(unattributed, [], "the LICENSES file has every bundled package's licence");
  t.match(licenses, /==== openid-client [\d.]+ \(MIT\) ====\n\nThe MIT License/, 'the licence text itself');
});
