// Bundles the server into one file, dist/commbox-sso-bridge.mjs, for the Docker
// image (`npm run bundle`): the runtime stage then holds no node_modules, and one
// file loads faster than the many modules it is made of.
// `node scripts/bundle.mjs <dir>` writes into <dir> instead (test/server.test.ts
// bundles the current source into a directory of its own).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { argv } from 'node:process';

const outdir = argv[2] ?? 'dist';
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // The version /healthz and the start-up line report, written in (src/observability/version.ts).
  define: { __BRIDGE_VERSION__: JSON.stringify(version) },
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __bridgeRequire } from 'node:module'; const require = __bridgeRequire(import.meta.url);",
  },
};

await build({
  ...common,
  entryPoints: ['src/server.ts'],
  outfile: join(outdir, 'commbox-sso-bridge.mjs'),
  // The bundle holds production dependencies only, the ones the SBOM lists. debug (ioredis's)
  // tries require('supports-color') and does without it; only development tools install it,
  // so it stays out, as in a production install (test/sbom.test.ts checks the whole bundle).
  external: ['supports-color'],
});
// The demo IdP and CommBox sandbox as services, for the Docker Compose stack's
// demo image (never the bridge's runtime image).
await build({ ...common, entryPoints: ['dev/services.ts'], outfile: join(outdir, 'demo-services.mjs') });
