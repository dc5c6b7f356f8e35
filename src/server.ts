/**
 * The process: configuration → app → listen → graceful drain. Nothing else.
 * With `--check`, validates the configuration and the IdP instead of serving.
 */
import type { AddressInfo } from 'node:net';
import { buildApp, buildMetricsApp } from './app.js';
import { createBridge, reloadSecrets } from './bridge.js';
import { checkConfig, parseCheckArgs, USAGE_EXIT_CODE, type CheckOptions } from './check-config.js';
import { settingsFingerprint } from './config/fingerprint.js';
import {
  otelVariablesNotRead,
  parseConfig,
  processEnvironment,
  readEnvironment,
  secretValues,
  type BridgeConfig,
} from './config/parse.js';
import { ConfigError } from './errors.js';
import { createAuditLogger } from './observability/audit.js';
import { createLogger } from './observability/log.js';
import { createMetrics } from './observability/metrics.js';
import { describeError } from './net/network-errors.js';
import { startTracing, stopTracing } from './observability/tracing.js';
import { BRIDGE_VERSION } from './observability/version.js';

const DISCOVERY_RETRY_MAX_MS = 30_000;

// SIGHUP reads the secret files again. Caught as soon as this module runs (its imports are loaded by
// then), not only once the bridge is built: its default action ends the process, and a reloader may send
// it while the bridge is still starting; that one is answered once the secret reload exists.
const sighup: { reload?: () => void; asked: boolean } = { asked: false };
process.on('SIGHUP', () => (sighup.reload === undefined ? (sighup.asked = true) : sighup.reload()));

let config: BridgeConfig;
// Kept: the secret files are read again with the same variables (login/secret-reload.ts).
const environment = readEnvironment();
try {
  config = parseConfig(environment);
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`commbox-sso-bridge: ${e.message}\nSee docs/configuration.md and .env.example.\n`);
    process.exit(1);
  }
  throw e;
}

if (process.argv.includes('--check')) {
  let options: CheckOptions;
  try {
    options = parseCheckArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(
      `commbox-sso-bridge --check: ${(e as Error).message}\nUsage: npm run check-config [-- --ticket-for <username> [--email <address>] [--phone <number>]]\n`,
    );
    process.exit(USAGE_EXIT_CODE);
  }
  process.exit(await checkConfig(config, (line) => process.stdout.write(`${line}\n`), options));
}

const secrets = secretValues(config);
const logger = createLogger({ level: config.logLevel, secrets, format: config.logFormat });
const audit = createAuditLogger({ secrets, format: config.logFormat });
// OpenTelemetry variables that exist but that nothing here reads: named (never their values), not refused.
const otelNotRead = otelVariablesNotRead(environment, processEnvironment());
if (otelNotRead.length > 0)
  logger.warn(
    { event: 'otel_variables_not_read', variables: otelNotRead },
    `OpenTelemetry variables that neither the bridge nor its tracing SDK reads (or that only the .env file sets, which the SDK never sees): ${otelNotRead.join(', ')}; see "Traces" in docs/operations.md`,
  );
// OpenTelemetry: the SDK is loaded only when an endpoint is set. Its export failures
// are counted on the bridge's registry (made here, before the bridge, for that).
const metrics = createMetrics();
if (await startTracing(config.tracing, { registry: metrics.registry, log: logger }))
  logger.info(
    { event: 'tracing', endpoint: new URL(config.tracing!.tracesUrl).origin, sampler: config.tracing!.sampler },
    'traces are exported over OTLP/HTTP',
  );
const bridge = await createBridge(config, { metrics });
const app = await buildApp({ bridge, logger, audit });
const metricsServer = config.metricsPort === undefined ? undefined : buildMetricsApp(bridge);
const secretReload = reloadSecrets(bridge, { environment, logger, audit, scrubbed: secrets });
sighup.reload = () => void secretReload.reload();
if (sighup.asked) sighup.reload();

// SIGTERM/SIGINT: readiness fails at once; logins are still served for the
// grace period (load balancers take a while to notice); then the listener
// closes, in-flight logins finish, and the process exits 0.
let stopping = false;
async function drain(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  bridge.health.draining = true;
  secretReload.stop();
  logger.info({ signal, graceMs: config.shutdownGraceMs }, 'draining: readiness is now failing');
  const force = setTimeout(() => {
    logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'in-flight requests did not finish in time; exiting');
    logger.flush();
    // Written synchronously (the audit destination is sync): on stdout before the exit.
    audit.error({ event: 'stopped', outcome: 'failure', signal, exitCode: 1 }, 'stopped: in-flight requests cut');
    audit.flush();
    process.exit(1);
  }, config.shutdownTimeoutMs);
  force.unref();
  await new Promise((r) => setTimeout(r, config.shutdownGraceMs));
  await app.close();
  await metricsServer?.close();
  // The spans still buffered are exported before the exit (within the force timer's deadline).
  await stopTracing().catch((e: unknown) => logger.warn({ detail: describeError(e) }, 'traces not all exported'));
  logger.info('stopped');
  logger.flush();
  audit.info({ event: 'stopped', signal, exitCode: 0 }, 'stopped');
  audit.flush();
  process.exitCode = 0;
}
process.once('SIGTERM', () => void drain('SIGTERM'));
process.once('SIGINT', () => void drain('SIGINT'));

await app.listen({ port: config.port, host: config.host });
const serving = app.server.address() as AddressInfo;
logger.info(
  {
    event: 'started',
    version: BRIDGE_VERSION,
    node: process.version,
    address: serving.address,
    port: serving.port,
    secrets: secretReload.loaded,
  },
  `commbox-sso-bridge ${BRIDGE_VERSION} serving on ${serving.address} port ${serving.port}`,
);
audit.info(
  {
    event: 'started',
    version: BRIDGE_VERSION,
    node: process.version,
    ...settingsFingerprint(environment, config, secrets),
  },
  `commbox-sso-bridge ${BRIDGE_VERSION} started`,
);
if (metricsServer) {
  // Its own address (loopback unless METRICS_HOST says otherwise), never the public one by default.
  await metricsServer.listen({ port: config.metricsPort!, host: config.metricsHost });
  const { address, port } = metricsServer.server.address() as AddressInfo;
  logger.info({ event: 'metrics_listening', address, port }, `/metrics served on ${address} port ${port} only`);
}

// Discovery runs in the background, retried with backoff: an IdP that is down at
// start-up must not crash the bridge (readiness says why; logins get a 503 page).
for (const { config: idpConfig, oidc } of bridge.idps.values()) {
  void (async () => {
    for (let delay = 500; !stopping; delay = Math.min(delay * 2, DISCOVERY_RETRY_MAX_MS)) {
      try {
        const idp = await oidc.discover();
        logger.info(
          { idp: idpConfig.name, issuer: idp.issuer, idTokenAlg: idp.idTokenAlg, rfc9207: idp.issParameterSupported },
          'IdP discovered',
        );
        return;
      } catch (e) {
        logger.warn(
          { idp: idpConfig.name, retryInMs: delay, detail: describeError(e) },
          'IdP discovery failed; retrying',
        );
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  })();
}
