/**
 * The app alone, for `app.inject`: where a test needs no IdP and no CommBox (pages,
 * headers, refusals before any request), a full stack is not started. The IdP and
 * CommBox URLs point at a closed port: a test that reaches them fails loudly.
 */
import type { Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createBridge, type Bridge } from '../../src/bridge.js';
import { parseConfig, secretValues } from '../../src/config/parse.js';
import { createAuditLogger } from '../../src/observability/audit.js';
import { createLogger } from '../../src/observability/log.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { COOKIE_SECRET, LogCapture } from './stack.js';

export const NOWHERE = 'http://127.0.0.1:1';

export async function build(
  t: Test,
  env: Record<string, string> = {},
): Promise<{ app: FastifyInstance; bridge: Bridge; logs: LogCapture; audit: LogCapture }> {
  const config = parseConfig({
    PUBLIC_URL: 'http://127.0.0.1:3000',
    OIDC_ISSUER: NOWHERE,
    OIDC_CLIENT_ID: 'bridge',
    OIDC_CLIENT_SECRET: 'client-secret-0123456789',
    COMMBOX_API_URL: NOWHERE,
    COMMBOX_API_KEY: 'api-key-0123456789',
    COMMBOX_BRAND: 'acme',
    COMMBOX_LOGIN_URL: `${NOWHERE}/login`,
    COOKIE_SECRET,
    LOG_LEVEL: 'debug',
    ALLOW_ANY_AUTHENTICATED: 'true',
    ...env,
  });
  const logs = new LogCapture();
  const logger = createLogger({ level: config.logLevel, secrets: secretValues(config), destination: logs });
  // The audit trail on a logger of its own, as the server has it.
  const audit = new LogCapture();
  const auditLogger = createAuditLogger({ secrets: secretValues(config), destination: audit });
  const bridge = await createBridge(config, { metrics: createMetrics({ defaults: false }) });
  const app = await buildApp({ bridge, logger, audit: auditLogger });
  t.teardown(() => app.close());
  return { app, bridge, logs, audit };
}
