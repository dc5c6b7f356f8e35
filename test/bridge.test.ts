/**
 * What the bridge loads: the Redis client and the rate-limit plugin only when
 * they are configured, so a default replica never holds their code.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { build } from './helpers/build.js';

/** Whether a CommonJS package was loaded into this process (imported from ESM or required). */
const loaded = (name: string) =>
  Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes(`/node_modules/${name}/`));

t.test('ioredis is loaded only with REDIS_URL, @fastify/rate-limit only while the rate limits are on', async (t) => {
  // This file's first test: nothing in this process has loaded them yet.
  const { app } = await build(t, { RATE_LIMIT_MAX: '0' });
  t.equal((await app.inject('/healthz')).statusCode, 200, 'the app serves');
  t.notOk(loaded('ioredis'), 'no REDIS_URL: ioredis is not loaded');
  t.notOk(loaded('@fastify/rate-limit'), 'RATE_LIMIT_MAX=0: the rate-limit plugin is not loaded');

  const limited = await build(t, { RATE_LIMIT_MAX: '1' });
  t.ok(loaded('@fastify/rate-limit'), 'RATE_LIMIT_MAX>0 loads the plugin');
  t.notOk(loaded('ioredis'), 'still no ioredis without REDIS_URL');
  // The plugin is registered, not only loaded: the second /login from one IP is refused.
  await limited.app.inject('/login');
  t.equal((await limited.app.inject('/login')).statusCode, 429);

  // A closed port: the bridge starts without waiting for Redis.
  const shared = await build(t, { REDIS_URL: 'redis://127.0.0.1:1' });
  t.ok(loaded('ioredis'), 'REDIS_URL loads ioredis');
  t.ok(shared.bridge.sharedState, 'and the replicas share state through it');
});
