// What the tests need beyond npm, installed by `npm test` itself (its first step) when missing:
// the Redis tests start a real redis-server and read it with redis-cli, and the TLS tests make their
// certificates with openssl. With everything on the PATH it only looks, and says nothing. Otherwise
// it installs Debian's packages with apt-get, as root or with passwordless `sudo -n`; where it cannot,
// it prints the one command to run and exits non-zero. The tests never skip for want of them.
// TEST_PREREQUISITES_INSTALL=no keeps it from installing anything (it tells instead): for a workstation
// where a system package is the owner's decision (Debian's redis-server also enables a Redis service).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import console from 'node:console';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

/** Each program the tests run, what for, and the Debian package that has it. */
export const PREREQUISITES = [
  { command: 'redis-server', why: 'the Redis tests start a real server', debianPackage: 'redis-server' },
  { command: 'redis-cli', why: 'the Redis tests read what was stored', debianPackage: 'redis-server' },
  { command: 'openssl', why: 'the TLS tests make their certificates', debianPackage: 'openssl' },
];

/** The full path of `command` on `path`, or undefined. */
export function findOnPath(command, path = process.env.PATH ?? '') {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * What to do about the missing programs: nothing; install with apt-get (`sudo` says whether through
 * `sudo -n`); or tell the user the one command to run.
 */
export function plan({ missing, hasAptGet, isRoot, hasSudo, sudoWithoutPassword, installAllowed = true }) {
  if (missing.length === 0) return { action: 'none' };
  const packages = [...new Set(missing.map((p) => p.debianPackage))];
  const needs = missing.map((p) => `${p.command} (${p.why})`).join(', ');
  const installArgs = ['install', '-y', '-q', '--no-install-recommends', ...packages];
  if (!hasAptGet) {
    return {
      action: 'tell',
      message:
        `npm test needs ${needs}, which are not installed, and this system has no apt-get to install them.\n` +
        `Install them with the system's package manager (Debian's packages: ${packages.join(' ')}; ` +
        `Homebrew: brew install redis openssl), then run npm test again.`,
    };
  }
  if (installAllowed && (isRoot || sudoWithoutPassword)) {
    return { action: 'install', packages, needs, sudo: !isRoot, installArgs };
  }
  const command = `${hasSudo && !isRoot ? 'sudo ' : ''}apt-get install -y ${packages.join(' ')}`;
  const why = !installAllowed
    ? 'TEST_PREREQUISITES_INSTALL=no'
    : hasSudo
      ? 'not root, and sudo -n is refused: it wants a password'
      : 'not root, and there is no sudo';
  return {
    action: 'tell',
    message:
      `npm test needs ${needs}, which are not installed, and cannot install them itself (${why}).\n` +
      `Run${hasSudo || isRoot ? '' : ' as root'}:  ${command}\nthen npm test again.`,
  };
}

function main() {
  const missing = PREREQUISITES.filter((p) => findOnPath(p.command) === undefined);
  if (missing.length === 0) return 0;
  const isRoot = process.getuid?.() === 0;
  const hasSudo = findOnPath('sudo') !== undefined;
  const installAllowed = process.env.TEST_PREREQUISITES_INSTALL !== 'no';
  const next = plan({
    missing,
    hasAptGet: findOnPath('apt-get') !== undefined,
    isRoot,
    hasSudo,
    // Only when it would be used: `-n` fails at once instead of asking for a password.
    sudoWithoutPassword:
      installAllowed && !isRoot && hasSudo && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0,
    installAllowed,
  });
  if (next.action === 'tell') {
    console.error(next.message);
    return 1;
  }
  console.error(
    `npm test: installing ${next.packages.join(' ')} with apt-get${next.sudo ? ' (sudo -n)' : ''}: ` +
      `the tests need ${next.needs} (TEST_PREREQUISITES_INSTALL=no: never install, only say what is missing).`,
  );
  // `env` carries DEBIAN_FRONTEND through sudo, which resets the environment.
  const prefix = next.sudo ? ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'] : [];
  const apt = (args) => {
    const [cmd, ...rest] = [...prefix, 'apt-get', '-o', 'DPkg::Lock::Timeout=120', ...args];
    const r = spawnSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return r.status === 0;
  };
  // A fresh system may have no package lists yet, and old ones may name versions the mirror has dropped.
  if (!apt(['update', '-q']) || !apt(next.installArgs)) {
    console.error(
      `npm test: apt-get could not install ${next.packages.join(' ')}; ` +
        `run  ${next.sudo ? 'sudo ' : ''}apt-get install -y ${next.packages.join(' ')}  and npm test again.`,
    );
    return 1;
  }
  // Debian's redis-server package enables and starts a Redis service (under systemd), without a password,
  // which the tests never use: they start their own on a free port. One that this script installed is
  // stopped and disabled again, so `npm test` leaves no server running behind it.
  if (next.packages.includes('redis-server') && findOnPath('systemctl') !== undefined) {
    const systemctl = (args) =>
      spawnSync(next.sudo ? 'sudo' : 'systemctl', next.sudo ? ['-n', 'systemctl', ...args] : args, {
        stdio: 'ignore',
      }).status === 0;
    if (systemctl(['is-enabled', '--quiet', 'redis-server'])) {
      const stopped = systemctl(['disable', '--now', 'redis-server']);
      console.error(
        stopped
          ? 'npm test: stopped and disabled the redis-server service the package started (the tests start their own).'
          : 'npm test: the redis-server package started a Redis service the tests do not use; ' +
              `stop it with  ${next.sudo ? 'sudo ' : ''}systemctl disable --now redis-server`,
      );
    }
  }
  const still = PREREQUISITES.filter((p) => findOnPath(p.command) === undefined);
  if (still.length > 0) {
    console.error(`npm test: still not on the PATH after the install: ${still.map((p) => p.command).join(', ')}.`);
    return 1;
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
