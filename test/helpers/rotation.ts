/**
 * Secrets rotated under a running bridge, as Kubernetes does it: a mounted secret
 * whose files change by a swapped `..data` link, and logins going on meanwhile.
 */
import type { Test } from 'tap';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser } from './browser.js';

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
