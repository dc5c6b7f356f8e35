/**
 * One outbound request: its deadline is total, also for an answer that drips
 * and never stops, and nothing of the request outlives its answer.
 */
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { send } from '../../src/net/send.js';

/**
 * A server that answers `{}` at once, or, once `dripping` is set, sends headers
 * and then a space every 50 ms forever; with a keep-alive Agent whose idle
 * timeouts (10 s) never trip first. Closed when the test ends.
 */
async function startAnswerServer(t: Test) {
  const mode = { dripping: false };
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (!mode.dripping) return void res.end('{}');
    const timer = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const agent = new Agent({ bodyTimeout: 10_000, headersTimeout: 10_000 });
  t.teardown(async () => {
    await agent.close();
    server.closeAllConnections();
    server.close();
  });
  return { mode, agent, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

t.test('send: the signal is a total deadline, even for an answer that never stops dripping', async (t) => {
  const { mode, agent, origin } = await startAnswerServer(t);
  mode.dripping = true;
  const started = Date.now();
  const e = await send(agent, { origin, path: '/', method: 'GET' }, { signal: AbortSignal.timeout(300) }).catch(
    (x: unknown) => x,
  );
  t.equal((e as Error).name, 'TimeoutError');
  t.ok(Date.now() - started < 2000, 'it ends at the deadline, not when the answer ends');
  const before = await send(
    agent,
    { origin, path: '/', method: 'GET' },
    { signal: AbortSignal.abort(new Error('already')) },
  ).catch((x: unknown) => x);
  t.equal((before as Error).message, 'already', 'an aborted signal never sends');
});

t.test('send: timeoutMs is a total deadline too, and its timer ends with the answer', async (t) => {
  const { mode, agent, origin } = await startAnswerServer(t);
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  // Warm the connection, then count the timers around requests with and without a deadline.
  await send(agent, { origin, path: '/', method: 'GET' });
  const without = timers();
  for (let i = 0; i < 20; i++)
    t.equal((await send(agent, { origin, path: '/', method: 'GET' }, { timeoutMs: 60_000 })).body, '{}');
  t.equal(timers(), without, 'no timer of the 20 answered requests is left');

  mode.dripping = true;
  const started = Date.now();
  const e = await send(agent, { origin, path: '/', method: 'GET' }, { timeoutMs: 300 }).catch((x: unknown) => x);
  t.equal((e as Error).name, 'TimeoutError');
  t.match((e as Error).message, /within 300 ms/);
  t.ok(Date.now() - started < 2000, 'it ends at the deadline, not when the answer ends');
});
