/**
 * `npm run bench`: complete login flows against the bridge started as its own
 * process (`node --enable-source-maps dist/server.js`, as `npm start` does), with in-process fakes of
 * the IdP and CommBox. Prints medians over several runs and keeps the raw numbers.
 *
 *   npm run bench -- [--seconds 10] [--conc 16] [--runs 3] [--alg ES256|RS256] [--profile]
 *   npm run bench -- --soak 100000     RSS after 10% of the flows and at the end (memory growth)
 *   npm run bench -- --redis redis://127.0.0.1:6379   shared replay memory and rate limits (RATE_LIMIT_MAX
 *                                      set high enough never to refuse, the failed-login budget at its
 *                                      default), to price Redis against --rate-limit
 *   npm run bench -- --rate-limit      the same limits, in this replica's memory
 *   npm run bench -- --tracing         traces on: OTEL_EXPORTER_OTLP_ENDPOINT at an in-process OTLP
 *                                      receiver that counts and discards what it is sent
 *   npm run bench -- --tracing both    runs alternate off, on, off, on… (--runs of each), medians of each
 * Without either, RATE_LIMIT_MAX=0 and RATE_LIMIT_FAILED_LOGINS=off: no limits at all.
 *
 * Figures per run: flows/s; flow latency p50/p99 (the whole browser walk, fakes
 * included); the bridge's callback time split into its own work and its waits on
 * the token endpoint, userinfo and CommBox (from its `login completed` log lines);
 * CPU microseconds per flow (utime+stime of the server process from /proc); peak
 * RSS (VmHWM); time to ready after spawn. `--profile` writes a CPU profile of the
 * bridge (bench/results/*.cpuprofile, open it in Chrome DevTools).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../dev/commbox-sandbox.js';
import { Browser, dispatcher } from '../test/helpers/browser.js';
import { startHostileIdp } from '../test/helpers/hostile-idp.js';
import { startOtlpReceiver, type OtlpReceiver } from '../test/helpers/otlp-receiver.js';
import { freePort } from '../test/helpers/stack.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const seconds = Number(arg('seconds', '10'));
const conc = Number(arg('conc', '16'));
const runs = Number(arg('runs', '3'));
const alg = arg('alg', 'ES256') as 'ES256' | 'RS256';
const profile = process.argv.includes('--profile');
const soakFlows = Number(arg('soak', '0'));
const redisUrl = arg('redis', '');
const rateLimited = redisUrl !== '' || process.argv.includes('--rate-limit');
const tracingArg = process.argv.includes('--tracing') ? arg('tracing', 'on') : 'off';
const tracingModes: boolean[] =
  tracingArg === 'both' ? [false, true] : [tracingArg !== 'off' && !tracingArg.startsWith('--')];
const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}bench/results`;
mkdirSync(outDir, { recursive: true });

const TICK = 100; // clock ticks per second (/proc/<pid>/stat)
function procStat(pid: number) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { cpuSec: (Number(f[11]) + Number(f[12])) / TICK };
}
const peakRssMB = (pid: number) =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const pct = (a: number[], q: number) => a[Math.min(a.length - 1, Math.floor(q * a.length))] ?? NaN;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? NaN;
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / Math.max(1, a.length);

interface RunResult {
  flows: number;
  errors: number;
  flowsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerFlow: number;
  peakRssMB: number;
  readyMs: number;
  callbackMs: number;
  ownMs: number;
  tokenMs: number;
  userinfoMs: number;
  commboxMs: number;
}

async function runOnce(n: number, tracing: boolean): Promise<RunResult> {
  const idp = await startHostileIdp({ alg });
  // Bounded: it keeps no body, only counts.
  const receiver: OtlpReceiver | undefined = tracing ? await startOtlpReceiver({ discard: true }) : undefined;
  const sandbox = await startSandbox({ brand: 'acme' });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  idp.redirectUris = [`${base}/callback`];
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '',
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: base,
    LOG_LEVEL: 'info',
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    OIDC_ID_TOKEN_ALG: alg,
    COMMBOX_API_URL: sandbox.url,
    COMMBOX_API_KEY: sandbox.apiKey,
    COMMBOX_BRAND: sandbox.brand,
    COMMBOX_LOGIN_URL: sandbox.loginUrl,
    COOKIE_SECRET: 'bench-cookie-secret-0123456789-abcdefghijkl',
    METRICS_PORT: 'off',
    // The benchmark signs in whoever its IdP knows, on purpose.
    ALLOW_ANY_AUTHENTICATED: 'true',
  };
  // One client drives thousands of logins: rate limits off unless measured, explicitly.
  env['RATE_LIMIT_MAX'] = rateLimited ? '1000000' : '0';
  // The failed-login budget too: on by default, it costs two counter operations per
  // login (a unit taken, given back once the tokens verify; in Redis, two round
  // trips), which a run without limits must not pay. A run that measures the limits
  // keeps it at its default: every benchmark login succeeds, so it never refuses.
  if (!rateLimited) env['RATE_LIMIT_FAILED_LOGINS'] = 'off';
  if (redisUrl !== '') env['REDIS_URL'] = redisUrl;
  if (receiver !== undefined) env['OTEL_EXPORTER_OTLP_ENDPOINT'] = receiver.url;
  const nodeArgs = profile ? [`--cpu-prof`, `--cpu-prof-dir=${outDir}`] : [];
  const cmd = ['node', '--enable-source-maps', ...nodeArgs, 'dist/server.js'];
  const pinned = process.platform === 'linux';
  const t0 = performance.now();
  const child: ChildProcess = spawn(pinned ? 'taskset' : cmd[0]!, pinned ? ['-c', '1', ...cmd] : cmd.slice(1), {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) if (l.includes('"login completed"')) lines.push(l);
  });
  const b = new Browser();
  let readyMs = NaN;
  for (let i = 0; i < 300; i++) {
    // Ready = a login can start (discovery done), not merely listening.
    const r = await b.fetch(`${base}/login`).catch(() => undefined);
    if (r?.status === 302) {
      readyMs = performance.now() - t0;
      break;
    }
    await new Promise((ok) => setTimeout(ok, 10));
  }
  const login = `${base}/login`;
  const loop = async (until: number, lat: number[], errs: unknown[]) => {
    while (Date.now() < until) {
      const t = performance.now();
      try {
        const r = await new Browser().walk(login, { stopAt: sandbox.loginUrl });
        if (r.stoppedAt) lat.push(performance.now() - t);
        else errs.push(r.last.status);
      } catch (e) {
        errs.push(e);
      }
    }
  };
  if (soakFlows > 0) {
    const rssMB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024;
    let done = 0;
    let failed = 0;
    let early = NaN;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: conc }, async () => {
        while (done + failed < soakFlows) {
          const r = await new Browser().walk(login, { stopAt: sandbox.loginUrl }).catch(() => undefined);
          if (r?.stoppedAt) done++;
          else failed++;
          if (Number.isNaN(early) && done >= soakFlows / 10) early = rssMB();
        }
      }),
    );
    const late = rssMB();
    console.log(
      `soak: ${done} flows (${failed} failed) in ${((Date.now() - started) / 1000).toFixed(0)} s; RSS after ${soakFlows / 10}: ${early.toFixed(1)} MB, after ${soakFlows}: ${late.toFixed(1)} MB (${(((late - early) / early) * 100).toFixed(1)}%)`,
    );
    child.kill('SIGTERM');
    await idp.close();
    await sandbox.close();
    await dispatcher.close();
    process.exit(failed === 0 ? 0 : 1);
  }
  await Promise.all(Array.from({ length: conc }, () => loop(Date.now() + 2000, [], [])));
  const lat: number[] = [];
  const errs: unknown[] = [];
  const linesBefore = lines.length;
  const c0 = procStat(child.pid!).cpuSec;
  const w0 = Date.now();
  await Promise.all(Array.from({ length: conc }, () => loop(w0 + seconds * 1000, lat, errs)));
  const wall = (Date.now() - w0) / 1000;
  const cpu = procStat(child.pid!).cpuSec - c0;
  const rss = peakRssMB(child.pid!);
  await new Promise((r) => setTimeout(r, 200)); // let the last log lines arrive
  const timings = lines.slice(linesBefore).map((l) => JSON.parse(l) as Record<string, number>);
  const exited = new Promise((ok) => child.on('exit', ok));
  child.kill('SIGTERM');
  await exited;
  await idp.close();
  await sandbox.close();
  await receiver?.close();
  lat.sort((x, y) => x - y);
  const callbackMs = mean(timings.map((x) => x['ms']!));
  const tokenMs = mean(timings.map((x) => x['tokenMs']!));
  const userinfoMs = mean(timings.map((x) => x['userinfoMs']!));
  const commboxMs = mean(timings.map((x) => x['commboxMs']!));
  const r: RunResult = {
    flows: lat.length,
    errors: errs.length,
    flowsPerSec: lat.length / wall,
    p50Ms: pct(lat, 0.5),
    p99Ms: pct(lat, 0.99),
    cpuUsPerFlow: (cpu * 1e6) / Math.max(1, lat.length),
    peakRssMB: rss,
    readyMs,
    callbackMs,
    ownMs: callbackMs - tokenMs - userinfoMs - commboxMs,
    tokenMs,
    userinfoMs,
    commboxMs,
  };
  console.log(
    `run ${n}${tracing ? ` (tracing on: ${receiver!.count.requests} exports, ${(receiver!.count.bytes / 1024).toFixed(0)} KiB)` : tracingModes.length > 1 ? ' (tracing off)' : ''}: ${r.flowsPerSec.toFixed(0)} flows/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, ${r.cpuUsPerFlow.toFixed(0)} µs CPU/flow, peak RSS ${r.peakRssMB.toFixed(0)} MB, ready ${r.readyMs.toFixed(0)} ms, errors ${r.errors}`,
  );
  return r;
}

console.log(`bench: ${runs} run(s) of ${seconds} s at concurrency ${conc}, ${alg}, node ${process.version}`);
const byMode = new Map<boolean, RunResult[]>(tracingModes.map((mode) => [mode, []]));
// Interleaved (off, on, off, on…) when both are measured: a drift of the machine falls on both alike.
for (let i = 1; i <= runs; i++) for (const mode of tracingModes) byMode.get(mode)!.push(await runOnce(i, mode));
for (const [mode, results] of byMode) {
  const m = (k: keyof RunResult) => median(results.map((r) => r[k]));
  console.log(`
median of ${runs} run(s)${tracingArg === 'off' ? '' : `, tracing ${mode ? 'on' : 'off'}`}
  flows/s                 ${m('flowsPerSec').toFixed(0)}
  flow latency p50 / p99  ${m('p50Ms').toFixed(2)} / ${m('p99Ms').toFixed(2)} ms   (the whole browser walk, fakes included)
  CPU per flow            ${m('cpuUsPerFlow').toFixed(0)} µs   (one core: ${(1e6 / m('cpuUsPerFlow')).toFixed(0)} logins/s)
  peak RSS                ${m('peakRssMB').toFixed(0)} MB
  ready after spawn       ${m('readyMs').toFixed(0)} ms   (discovery included)
  callback, mean          ${m('callbackMs').toFixed(2)} ms = own ${m('ownMs').toFixed(2)} + token ${m('tokenMs').toFixed(2)} + userinfo ${m('userinfoMs').toFixed(2)} + CommBox ${m('commboxMs').toFixed(2)} ms
  errors                  ${results.reduce((a, r) => a + r.errors, 0)}`);
}
if (byMode.size > 1) {
  const cpu = (mode: boolean) => median(byMode.get(mode)!.map((r) => r.cpuUsPerFlow));
  const flows = (mode: boolean) => median(byMode.get(mode)!.map((r) => r.flowsPerSec));
  console.log(
    `\ntracing on / off: CPU per flow ×${(cpu(true) / cpu(false)).toFixed(3)}, flows/s ×${(flows(true) / flows(false)).toFixed(3)}`,
  );
}
const results = [...byMode.values()].flat();
const file = `${outDir}/${new Date().toISOString().replace(/[:.]/g, '-')}-${alg}-c${conc}.json`;
writeFileSync(
  file,
  JSON.stringify(
    { date: new Date().toISOString(), node: process.version, alg, conc, seconds, tracing: tracingArg, runs: results },
    null,
    2,
  ),
);
console.log(`raw numbers: ${file.slice(root.length)}`);
if (profile)
  console.log(
    `CPU profiles: ${readdirSync(outDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => `bench/results/${f}`)
      .join(', ')}`,
  );
await dispatcher.close();
