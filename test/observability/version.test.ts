/**
 * The version the bridge reports: package.json's, found from wherever the code runs
 * (source, tsc's output in another folder); another project's package.json on the way
 * up is passed over. The bundle's, written in when it is built, is tested where it runs:
 * test/server.test.ts starts it from a folder without any package.json.
 */
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BRIDGE_VERSION, versionFromPackageJson } from '../../src/observability/version.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

t.test("from source, the version is package.json's", async (t) => {
  t.match(version, /^\d+\.\d+\.\d+/, 'package.json has a SemVer version');
  t.equal(BRIDGE_VERSION, version);
  t.equal(versionFromPackageJson(join(root, 'src', 'observability')), version);
});

t.test("another project's package.json on the way up is passed over; none at all is undefined", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-version-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'commbox-sso-bridge', version: '9.8.7' }));
  mkdirSync(join(dir, 'build', 'observability'), { recursive: true });
  writeFileSync(join(dir, 'build', 'package.json'), JSON.stringify({ name: 'something-else', version: '1.0.0' }));
  writeFileSync(join(dir, 'build', 'observability', 'package.json'), 'not json');
  t.equal(versionFromPackageJson(join(dir, 'build', 'observability')), '9.8.7');
  const none = mkdtempSync(join(tmpdir(), 'bridge-version-none-'));
  t.teardown(() => rmSync(none, { recursive: true, force: true }));
  // Above a fresh folder of the temporary directory there is no package.json of this project.
  t.equal(versionFromPackageJson(none), undefined);
});
