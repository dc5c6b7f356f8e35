// Writes the software bill of materials of what the image ships: CycloneDX JSON of the
// production dependencies (the bundle is made of them and the bridge's own code).
//   node scripts/sbom.mjs [file]        (default: test-output/sbom.cdx.json)
// `npm sbom --omit dev` in the checkout is not enough: it drops a production package
// that a development tool also uses (npm/cli#7909; here jose, semver, ajv, debug and
// more). So the production tree is installed alone in a folder of its own, from the
// lockfile and npm's cache (offline: `npm ci` has filled it), and `npm sbom` describes
// that tree. The folder is named after the package: npm names the SBOM's root after it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process, { argv } from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(argv[2] ?? join(root, 'test-output', 'sbom.cdx.json'));

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const scratch = mkdtempSync(join(tmpdir(), 'commbox-sbom-'));
const tree = join(scratch, pkg.name);
mkdirSync(tree);

const npm = (args) => {
  try {
    return execFileSync('npm', args, {
      cwd: tree,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    process.stderr.write(`sbom: npm ${args.join(' ')} failed\n${e.stderr ?? e.message}\n`);
    rmSync(scratch, { recursive: true, force: true });
    process.exit(1);
  }
};

try {
  writeFileSync(join(tree, 'package.json'), JSON.stringify(pkg, null, 2));
  writeFileSync(join(tree, 'package-lock.json'), readFileSync(join(root, 'package-lock.json')));
  npm(['ci', '--omit', 'dev', '--ignore-scripts', '--offline', '--no-audit', '--no-fund']);
  // Without the development dependencies it never installed, npm sbom would report them missing.
  const { devDependencies: _dev, ...production } = pkg;
  writeFileSync(join(tree, 'package.json'), JSON.stringify(production, null, 2));
  const bom = JSON.parse(npm(['sbom', '--sbom-format', 'cyclonedx', '--sbom-type', 'application', '--omit', 'dev']));
  if (bom.bomFormat !== 'CycloneDX' || !Array.isArray(bom.components) || bom.components.length === 0) {
    // Not process.exit here: the finally below removes the scratch install first.
    process.stderr.write('sbom: npm sbom did not give a CycloneDX document with components\n');
    process.exitCode = 1;
  } else {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(bom, null, 2)}\n`);
    process.stdout.write(
      `sbom: ${out}: CycloneDX ${bom.specVersion}, ${pkg.name} ${pkg.version}, ${bom.components.length} production packages\n`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
