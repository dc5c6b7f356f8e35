/**
 * scripts/test-prerequisites.mjs, the first step of `npm test`: run as it is, with a PATH of stand-in
 * programs that record how they were called. A stand-in apt-get "installs" by writing the stand-ins
 * of the programs it was asked for, so the script's check after the install sees them.
 */
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PREREQUISITES, findOnPath, plan } from '../../scripts/test-prerequisites.mjs';
import { startRedis } from '../helpers/redis.js';
import { selfSignedCertificate } from '../helpers/tls.js';

const script = fileURLToPath(new URL('../../scripts/test-prerequisites.mjs', import.meta.url));
const ALL = ['redis-server', 'redis-cli', 'openssl'];

interface Machine {
  /** The programs on the PATH, by name. */
  present?: string[];
  apt?: 'works' | 'fails' | 'absent';
  sudo?: 'without-password' | 'asks-for-password' | 'absent';
  /** Run as a user other than root (the script's process.getuid() says 1000). */
  notRoot?: boolean;
  /** TEST_PREREQUISITES_INSTALL's value. */
  install?: string;
  /** A systemctl that says the redis-server service is enabled (as Debian's package leaves it under systemd). */
  systemd?: boolean;
}

/** Runs the script on a machine whose PATH holds only stand-ins; what it printed and what it called. */
function runOn(t: Test, m: Machine) {
  const bin = mkdtempSync(join(tmpdir(), 'prerequisites-'));
  t.teardown(() => rmSync(bin, { recursive: true, force: true }));
  const calls = join(bin, 'calls.log');
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\nPATH=/usr/bin:/bin\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  for (const name of m.present ?? []) stub(name, 'exit 0');
  if ((m.apt ?? 'works') !== 'absent') {
    // `install` writes the stand-ins of what Debian's packages hold (redis-server brings redis-cli).
    stub(
      'apt-get',
      [
        `echo "apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" >> ${calls}`,
        m.apt === 'fails' ? 'exit 100' : '',
        'case "$*" in *install*) for p in "$@"; do case "$p" in',
        `  redis-server) printf '#!/bin/sh\\n' > ${bin}/redis-server; printf '#!/bin/sh\\n' > ${bin}/redis-cli;;`,
        `  openssl) printf '#!/bin/sh\\n' > ${bin}/openssl;;`,
        `esac; done; chmod 755 ${bin}/redis-server ${bin}/redis-cli ${bin}/openssl 2>/dev/null;; esac`,
        'exit 0',
      ].join('\n'),
    );
  }
  if (m.systemd) stub('systemctl', `echo "systemctl $*" >> ${calls}\nexit 0`);
  if ((m.sudo ?? 'absent') !== 'absent') {
    stub(
      'sudo',
      m.sudo === 'without-password'
        ? `echo "sudo $*" >> ${calls}\n[ "$1" = -n ] && shift\nexport PATH=${bin}:/usr/bin:/bin\nexec "$@"`
        : `echo "sudo $*" >> ${calls}\necho "sudo: a password is required" >&2\nexit 1`,
    );
  }
  const args = m.notRoot ? ['--import', 'data:text/javascript,process.getuid = () => 1000;', script] : [script];
  const env = { PATH: bin, ...(m.install === undefined ? {} : { TEST_PREREQUISITES_INSTALL: m.install }) };
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 30_000 });
  return {
    status: r.status,
    stderr: r.stderr,
    stdout: r.stdout,
    calls: existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : [],
    installed: (name: string) => existsSync(join(bin, name)),
  };
}

t.test('everything present: says nothing, calls no package manager, exits 0', async (t) => {
  const r = runOn(t, { present: ALL, sudo: 'without-password' });
  t.equal(r.status, 0);
  t.equal(r.stderr + r.stdout, '');
  t.same(r.calls, [], 'neither apt-get nor sudo was called');
});

t.test('as root, with nothing installed: says what and why, then apt-get update and install', async (t) => {
  const r = runOn(t, {});
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /^npm test: installing redis-server openssl with apt-get: the tests need redis-server \(the Redis/);
  t.match(r.stderr, /openssl \(the TLS tests make their certificates\)/);
  t.equal(r.calls.length, 2);
  t.match(r.calls[0], /^apt-get .*update/);
  t.match(r.calls[1], /^apt-get .*install -y -q --no-install-recommends redis-server openssl /);
  t.ok(
    r.calls.every((c) => c.endsWith('DEBIAN_FRONTEND=noninteractive')),
    'noninteractive',
  );
  t.ok(ALL.every(r.installed));
});

t.test('only what is missing is installed', async (t) => {
  const r = runOn(t, { present: ['redis-server', 'redis-cli'] });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /installing openssl with apt-get: the tests need openssl \(/);
  t.notMatch(r.stderr, /redis/);
  t.match(r.calls[1], /install -y -q --no-install-recommends openssl DEBIAN_FRONTEND/);
});

t.test('not root, with passwordless sudo: installs through sudo -n, noninteractive', async (t) => {
  const r = runOn(t, { notRoot: true, sudo: 'without-password', present: ['openssl'] });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /installing redis-server with apt-get \(sudo -n\)/);
  t.same(
    r.calls.filter((c) => c.startsWith('sudo ')).map((c) => c.split(' ').slice(0, 5).join(' ')),
    [
      'sudo -n true',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get',
      'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get',
    ],
  );
  t.match(
    r.calls.at(-1),
    /^apt-get .*install -y -q --no-install-recommends redis-server DEBIAN_FRONTEND=noninteractive$/,
  );
  t.ok(r.installed('redis-server'));
});

t.test('not root, sudo wants a password: one message with the one command, exit 1, nothing run', async (t) => {
  const r = runOn(t, { notRoot: true, sudo: 'asks-for-password' });
  t.equal(r.status, 1);
  t.equal(r.stdout, '');
  t.equal(
    r.stderr,
    'npm test needs redis-server (the Redis tests start a real server), redis-cli (the Redis tests read what was ' +
      'stored), openssl (the TLS tests make their certificates), which are not installed, and cannot install them ' +
      'itself (not root, and sudo -n is refused: it wants a password).\n' +
      'Run:  sudo apt-get install -y redis-server openssl\nthen npm test again.\n',
  );
  t.same(r.calls, ['sudo -n true'], 'apt-get was not called');
});

t.test('not root, no sudo: the command to run as root', async (t) => {
  const r = runOn(t, { notRoot: true, present: ['redis-server', 'redis-cli'] });
  t.equal(r.status, 1);
  t.match(r.stderr, /\(not root, and there is no sudo\)\.\nRun as root: {2}apt-get install -y openssl\n/);
  t.same(r.calls, []);
});

t.test("the Redis service that Debian's package starts is stopped and disabled again", async (t) => {
  const root = runOn(t, { systemd: true });
  t.equal(root.status, 0, root.stderr);
  t.same(
    root.calls.filter((c) => c.startsWith('systemctl')),
    ['systemctl is-enabled --quiet redis-server', 'systemctl disable --now redis-server'],
  );
  t.match(root.stderr, /stopped and disabled the redis-server service the package started/);
  const sudo = runOn(t, { systemd: true, notRoot: true, sudo: 'without-password', present: ['openssl'] });
  t.equal(sudo.status, 0, sudo.stderr);
  t.same(
    sudo.calls.filter((c) => c.includes('systemctl') && c.startsWith('sudo')),
    ['sudo -n systemctl is-enabled --quiet redis-server', 'sudo -n systemctl disable --now redis-server'],
    'through sudo -n',
  );
  const opensslOnly = runOn(t, { systemd: true, present: ['redis-server', 'redis-cli'] });
  t.equal(opensslOnly.status, 0);
  t.same(
    opensslOnly.calls.filter((c) => c.startsWith('systemctl')),
    [],
    'a Redis this script did not install is left alone',
  );
});

t.test('TEST_PREREQUISITES_INSTALL=no: installs nothing even as root, says the command, exit 1', async (t) => {
  const r = runOn(t, { install: 'no', present: ['redis-server', 'redis-cli'] });
  t.equal(r.status, 1);
  t.match(r.stderr, /\(TEST_PREREQUISITES_INSTALL=no\)\.\nRun: {2}apt-get install -y openssl\n/);
  t.same(r.calls, [], 'neither apt-get nor sudo was called');
  t.notOk(r.installed('openssl'));
  const sudo = runOn(t, { install: 'no', notRoot: true, sudo: 'without-password' });
  t.equal(sudo.status, 1);
  t.match(sudo.stderr, /Run: {2}sudo apt-get install -y redis-server openssl\n/);
  t.same(sudo.calls, [], 'not even sudo -n true');
  const other = runOn(t, { install: 'yes', present: ['redis-server', 'redis-cli'] });
  t.equal(other.status, 0, 'any other value installs as before');
  t.ok(other.installed('openssl'));
});

t.test('no apt-get: names the packages for the system package manager, exit 1', async (t) => {
  const r = runOn(t, { apt: 'absent' });
  t.equal(r.status, 1);
  t.match(r.stderr, /this system has no apt-get to install them/);
  t.match(r.stderr, /Debian's packages: redis-server openssl/);
});

t.test('a failed apt-get: exit 1, with the command to run', async (t) => {
  const r = runOn(t, { apt: 'fails' });
  t.equal(r.status, 1);
  t.match(
    r.stderr,
    /apt-get could not install redis-server openssl; run {2}apt-get install -y redis-server openssl {2}and/,
  );
  t.equal(r.calls.length, 1, 'no install after a failed update');
});

t.test('findOnPath: only executable files, empty PATH entries ignored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'on-path-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'runs'), '');
  chmodSync(join(dir, 'runs'), 0o755);
  writeFileSync(join(dir, 'reads'), '');
  t.equal(findOnPath('runs', `:${dir}`), join(dir, 'runs'));
  t.equal(findOnPath('reads', dir), undefined);
  t.equal(findOnPath('runs', ''), undefined);
});

t.test('plan: nothing missing is nothing to do, whatever the machine', async (t) => {
  t.same(plan({ missing: [], hasAptGet: false, isRoot: false, hasSudo: false, sudoWithoutPassword: false }), {
    action: 'none',
  });
  t.same(
    PREREQUISITES.map((p) => p.command),
    ALL,
  );
});

t.test(
  'startRedis and the certificate helper without their programs: the error names what installs them',
  async (t) => {
    const path = process.env['PATH'];
    process.env['PATH'] = mkdtempSync(join(tmpdir(), 'empty-path-'));
    t.teardown(() => {
      rmSync(process.env['PATH']!, { recursive: true, force: true });
      process.env['PATH'] = path;
    });
    await t.rejects(startRedis(), {
      message:
        'redis-server is not installed (the Redis tests start a real server); redis-cli is not installed (the Redis ' +
        'tests read what was stored): `node scripts/test-prerequisites.mjs` installs what the tests need (npm test ' +
        'runs it first), or says the one command to run',
    });
    t.throws(() => selfSignedCertificate(), {
      message:
        /^openssl is not installed \(the TLS tests make their certificates\): `node scripts\/test-prerequisites.mjs` installs/,
    });
  },
);
