// Bundles the server into one file, dist/commbox-sso-bridge.mjs, for the Docker
// image (`npm run bundle`): the runtime stage then holds no node_modules, and one
// file loads faster than the many modules it is made of.
// `node scripts/bundle.mjs <dir>` writes into <dir> instead (test/server.test.ts
// bundles the current source into a directory of its own).
import { build } from 'esbuild';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { argv } from 'node:process';

const outdir = argv[2] ?? 'dist';
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

/**
 * formatjs's packages (intl-messageformat and its parser) ship source maps of their own build that
 * name files outside the package (`../index.ts`, a `sources/node_modules/` of that build): composed
 * into the bundle's map, they would credit code to packages that do not exist. Their code is mapped
 * to the JavaScript they ship instead, inside each package.
 */
const shippedJsOnly = {
  name: 'shipped-js-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/](@formatjs[\\/][^\\/]+|intl-messageformat)[\\/].*\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, ''),
      loader: 'js',
    }));
  },
};

const common = {
  plugins: [shippedJsOnly],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // The version the start-up line and the metrics report, written in (src/observability/version.ts).
  define: { __BRIDGE_VERSION__: JSON.stringify(version) },
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __bridgeRequire } from 'node:module'; const require = __bridgeRequire(import.meta.url);",
  },
};

/**
 * The licence texts of the packages a bundle holds, for its LICENSES file: most licences ask that their
 * notice travel with every copy, and a bundle keeps only the comments marked as legal (its LEGAL.txt).
 */
function licenses(metafile) {
  const packages = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const first = input.indexOf('node_modules/');
    if (first < 0) continue;
    const last = input.lastIndexOf('node_modules/');
    const [scopeOrName, name] = input.slice(last + 'node_modules/'.length).split('/');
    packages.add(
      input.slice(first, last) +
        'node_modules/' +
        (scopeOrName.startsWith('@') ? `${scopeOrName}/${name}` : scopeOrName),
    );
  }
  const sections = [...packages].sort().map((dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|-|$)/i.test(f));
    const text = file
      ? readFileSync(join(dir, file), 'utf8').trim()
      : `(no licence file in the package; package.json: ${pkg.license})`;
    return `==== ${pkg.name} ${pkg.version} (${pkg.license ?? 'no licence named'}) ====\n\n${text}\n`;
  });
  return `The third-party packages bundled into commbox-sso-bridge.mjs, each with the licence it ships.\n\n${sections.join('\n')}`;
}

const server = await build({
  ...common,
  metafile: true,
  entryPoints: ['src/server.ts'],
  outfile: join(outdir, 'commbox-sso-bridge.mjs'),
  // The bundle holds production dependencies only, the ones the SBOM lists. debug (ioredis's)
  // tries require('supports-color') and does without it; only development tools install it,
  // so it stays out, as in a production install (test/sbom.test.ts checks the whole bundle).
  external: ['supports-color'],
});
writeFileSync(join(outdir, 'commbox-sso-bridge.mjs.LICENSES.txt'), licenses(server.metafile));
// The demo IdP and CommBox sandbox as services, for the Docker Compose stack's
// demo image (never the bridge's runtime image).
await build({ ...common, entryPoints: ['dev/services.ts'], outfile: join(outdir, 'demo-services.mjs') });
