/**
 * The bridge's version: package.json's, as the start-up line, check-config and the metrics port's
 * `commbox_bridge_build_info` report it.
 * The bundle the image runs has it written in when it is built (esbuild's `define` in
 * scripts/bundle.mjs), so it never depends on a file beside it; from source (tsx) and
 * from tsc's output it is read from this project's package.json, the nearest one above
 * this module.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Replaced by the bundler with package.json's version; not defined anywhere else. */
declare const __BRIDGE_VERSION__: string | undefined;

const PACKAGE_NAME = 'commbox-sso-bridge';

/** The version in the nearest package.json of this project at or above `dir`; undefined when there is none. */
export function versionFromPackageJson(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    try {
      const pkg = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json here (or not one to read): another project's folder, look further up.
    }
    if (dirname(at) === at) return undefined;
  }
}

export const BRIDGE_VERSION: string =
  typeof __BRIDGE_VERSION__ === 'string'
    ? __BRIDGE_VERSION__
    : (versionFromPackageJson(dirname(fileURLToPath(import.meta.url))) ?? 'unknown');
