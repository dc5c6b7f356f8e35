/**
 * Secrets rotated under a running bridge, as Kubernetes does it: a mounted secret
 * whose files change by a swapped `..data` link, and logins going on meanwhile.
 */
import type { Test } from 'tap';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseConfig } from '../../src/config/parse.js';
import { SecretReload, type SecretUsers } from '../../src/login/secret-reload.js';
import { createLogger } from '../../src/observability/log.js';
import { Browser } from './browser.js';
import { TWO_IDP_BASE } from './config.js';
import { LogCapture } from './stack.js';

/**
 * A directory as the kubelet writes a mounted secret: `<dir>/<name>` links to `..data/<name>`, and
 * `..data` to a directory of this version's files; an update writes a new version and renames a new
 * `..data` link over the old one (the files are never written in place).
 */
export function mountedSecret(t: Test, files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'mounted-secret-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let current: Record<string, string> = {};
  let version = 0;
  const write = (next: Record<string, string>) => {
    const name = `..2026_01_01_00_00_0${++version}`;
    mkdirSync(join(dir, name));
    for (const [file, text] of Object.entries(next)) writeFileSync(join(dir, name, file), text);
    symlinkSync(name, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    for (const file of Object.keys(next))
      if (!existsSync(join(dir, file))) symlinkSync(join('..data', file), join(dir, file));
    current = next;
  };
  write(files);
  return {
    path: (file: string) => join(dir, file),
    update: (changes: Record<string, string>) => write({ ...current, ...changes }),
  };
}

/** Logins by `workers` browsers at once until `stop()`; every one that did not reach CommBox is a failure. */
export function continuousLogins(base: string, stopAt: string, workers = 4) {
  let going = true;
  let ok = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (going) {
      const r = await new Browser().walk(`${base}/login`, { stopAt }).catch((e: Error) => ({
        stoppedAt: undefined,
        last: { status: e.message, body: '' },
      }));
      if (r.stoppedAt) ok++;
      else failures.push(`${r.last.status} ${/\(([a-z_]+)\)/.exec(r.last.body)?.[1] ?? ''}`);
    }
  };
  const running = Array.from({ length: workers }, worker);
  return {
    ok: () => ok,
    failures,
    async stop() {
      going = false;
      await Promise.all(running);
    },
  };
}

/**
 * A SecretReload over files held in memory (path → content) for `env` on top of a valid
 * configuration, with users that do nothing unless `users` gives them, and the interval off.
 */
export function secretReloadInMemory(
  files: Map<string, string>,
  env: Record<string, string>,
  users: Partial<SecretUsers> = {},
) {
  const environment = { ...TWO_IDP_BASE, SECRET_RELOAD_INTERVAL_SEC: 'off', ...env };
  const readFile = (path: string) => files.get(path)!;
  const logs = new LogCapture();
  const logger = createLogger({ level: 'info', secrets: [], destination: logs, format: 'json' });
  const registry = new Registry();
  const reload = new SecretReload({
    environment,
    config: parseConfig(environment, readFile),
    users: { commbox: { setApiKey() {}, whenUnauthorized() {} }, oidc: new Map(), sealer: { rotate() {} }, ...users },
    logger,
    audit: logger,
    scrubbed: [],
    registry,
    readFile,
  });
  return { reload, logs, registry };
}
