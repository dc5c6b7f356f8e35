/**
 * The process: configuration → app → listen → graceful stop. Nothing else.
 */
import { buildApp } from './app.js';
import { createBridge } from './bridge.js';
import { loadConfig, type BridgeConfig } from './config.js';
import { ConfigError } from './errors.js';
import { createLogger } from './log.js';
import { describe } from './oidc.js';

const DISCOVERY_RETRY_MAX_MS = 30_000;

let config: BridgeConfig;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`commbox-sso-bridge: ${e.message}\nSee .env.example and the README's configuration section.\n`);
    process.exit(1);
  }
  throw e;
}

const logger = createLogger({
  level: config.logLevel,
  secrets: [config.oidc.clientSecret, config.commbox.apiKey, config.cookieSecret],
});
const bridge = createBridge(config);
const app = await buildApp({ bridge, logger });

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping: finishing in-flight requests');
  const force = setTimeout(() => {
    logger.error('in-flight requests did not finish in 10 s; exiting');
    process.exit(1);
  }, 10_000);
  force.unref();
  await app.close();
  logger.info('stopped');
  logger.flush();
  process.exitCode = 0;
}
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));

await app.listen({ port: config.port, host: config.host });

// Discovery runs in the background, retried with backoff: an IdP that is down at
// start-up must not crash the bridge (logins meanwhile get a clear 503 page).
void (async () => {
  for (let delay = 500; !stopping; delay = Math.min(delay * 2, DISCOVERY_RETRY_MAX_MS)) {
    try {
      const idp = await bridge.oidc.discover();
      logger.info({ issuer: idp.issuer, idTokenAlg: idp.idTokenAlg, rfc9207: idp.issParameterSupported }, 'IdP discovered');
      return;
    } catch (e) {
      logger.warn({ retryInMs: delay, detail: describe(e) }, 'IdP discovery failed; retrying');
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }
})();
