/**
 * A real `redis-server` (Debian's package; `npm test` installs it) on a free
 * loopback port, without persistence, for one test. It can be stopped, started
 * again on the same port, and paused (SIGSTOP) to play a Redis that hangs. With
 * `tls`, it listens with TLS only, with a certificate issued by a CA made here
 * by openssl; with `password`, it requires it (`requirepass`).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrograms } from './prerequisites.js';
import { freePort } from './stack.js';
import { selfSignedFiles } from './tls.js';

export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, or with TLS `rediss://localhost:<port>`; with `password`, it is in the URL. */
  readonly url: string;
  /** With TLS: the PEM file of the CA that issued the server's certificate. */
  readonly caFile: string | undefined;
  /** Runs a redis-cli command against it and returns its output. */
  cli(...args: string[]): string;
  /** Every key, its time left and its value (a hash's: `field value field value`). */
  keys(): { key: string; pttl: number; value: string }[];
  stop(): Promise<void>;
  start(): Promise<void>;
  pause(): void;
  resume(): void;
}

export interface RedisTls {
  /** The server certificate's subjectAltName; default `DNS:localhost,IP:127.0.0.1,IP:::1`. */
  readonly names?: string;
}

/** A directory removed when the test process exits. */
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', timeout: 10_000 });

/** A new CA (P-256, one day) in `dir`: its certificate and key files. */
export function createTestCa(dir = tempDir(), name = 'test-ca'): { certFile: string; keyFile: string } {
  return selfSignedFiles(dir, name, `/CN=${name}`);
}

/** A CA, and a server certificate it issued for `names`. */
function createServerCertificate(names: string) {
  const dir = tempDir();
  const ca = createTestCa(dir);
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  writeFileSync(ext, `subjectAltName=${names}\n`);
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=redis',
    '-keyout',
    keyFile,
    '-out',
    csr,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    ext,
    '-out',
    certFile,
  );
  return { caFile: ca.certFile, certFile, keyFile };
}

export async function startRedis(opts: { tls?: true | RedisTls; password?: string } = {}): Promise<TestRedis> {
  requirePrograms('redis-server', 'redis-cli', ...(opts.tls === undefined ? [] : ['openssl']));
  const port = await freePort();
  const tls =
    opts.tls === undefined
      ? undefined
      : createServerCertificate(
          (opts.tls === true ? undefined : opts.tls.names) ?? 'DNS:localhost,IP:127.0.0.1,IP:::1',
        );
  const listen =
    tls === undefined
      ? ['--port', String(port)]
      : [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          tls.certFile,
          '--tls-key-file',
          tls.keyFile,
          '--tls-auth-clients',
          'no',
        ];
  const auth = opts.password === undefined ? [] : ['--requirepass', opts.password];
  const cliArgs = [
    '-p',
    String(port),
    ...(tls === undefined ? [] : ['--tls', '--cacert', tls.caFile]),
    ...(opts.password === undefined ? [] : ['-a', opts.password, '--no-auth-warning']),
  ];
  const userInfo = opts.password === undefined ? '' : `:${encodeURIComponent(opts.password)}@`;
  let proc: ChildProcess | undefined;
  const cli = (...args: string[]) =>
    execFileSync('redis-cli', [...cliArgs, '--no-raw', ...args], { encoding: 'utf8', timeout: 5000 }).trim();
  const raw = (...args: string[]) =>
    execFileSync('redis-cli', [...cliArgs, '--raw', ...args], { encoding: 'utf8', timeout: 5000 }).trim();
  const r: TestRedis = {
    port,
    url: tls === undefined ? `redis://${userInfo}127.0.0.1:${port}` : `rediss://${userInfo}localhost:${port}`,
    caFile: tls?.caFile,
    cli,
    keys() {
      const names = raw('--scan').split('\n').filter(Boolean);
      // A hash (the failed-login budget's window) as its fields and values, one space between each.
      const value = (key: string) =>
        raw('TYPE', key) === 'hash' ? raw('HGETALL', key).split('\n').join(' ') : raw('GET', key);
      return names.map((key) => ({ key, pttl: Number(raw('PTTL', key)), value: value(key) }));
    },
    async start() {
      // `localhost` may be ::1 first elsewhere: the TLS server listens there too when it can (`-`: optional).
      const bind = tls === undefined ? ['127.0.0.1'] : ['127.0.0.1', '-::1'];
      proc = spawn('redis-server', [...listen, ...auth, '--bind', ...bind, '--save', '', '--appendonly', 'no'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout!.on('data', (c) => (out += String(c)));
      const deadline = Date.now() + 10_000;
      while (!/Ready to accept connections/.test(out)) {
        if (Date.now() > deadline || proc.exitCode !== null)
          throw new Error(`redis-server did not start on port ${port}: ${out.slice(-500)}`);
        await new Promise((ok) => setTimeout(ok, 20));
      }
    },
    async stop() {
      const p = proc;
      if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
      p.kill('SIGCONT');
      const exited = new Promise((ok) => p.once('exit', ok));
      p.kill('SIGKILL');
      await exited;
    },
    pause() {
      proc?.kill('SIGSTOP');
    },
    resume() {
      proc?.kill('SIGCONT');
    },
  };
  await r.start();
  return r;
}
