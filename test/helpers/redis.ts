/**
 * A real `redis-server` (Debian's package; `.ci/run` installs it) on a free
 * loopback port, without persistence, for one test. It can be stopped, started
 * again on the same port, and paused (SIGSTOP) to play a Redis that hangs.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { freePort } from './stack.js';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Runs a redis-cli command against it and returns its output. */
  cli(...args: string[]): string;
  /** Every key with its remaining time to live in ms (-1: none). */
  keys(): { key: string; pttl: number; value: string }[];
  stop(): Promise<void>;
  start(): Promise<void>;
  pause(): void;
  resume(): void;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const cli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(port), '--no-raw', ...args], { encoding: 'utf8', timeout: 5000 }).trim();
  const raw = (...args: string[]) => execFileSync('redis-cli', ['-p', String(port), '--raw', ...args], { encoding: 'utf8', timeout: 5000 }).trim();
  const r: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    cli,
    keys() {
      const names = raw('--scan').split('\n').filter(Boolean);
      return names.map((key) => ({ key, pttl: Number(raw('PTTL', key)), value: raw('GET', key) }));
    },
    async start() {
      proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stdout!.on('data', (c) => (out += String(c)));
      const deadline = Date.now() + 10_000;
      while (!/Ready to accept connections/.test(out)) {
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`redis-server did not start on port ${port}: ${out.slice(-500)}`);
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
