/**
 * `npm run demo`: the bridge with an embedded development IdP and a CommBox
 * sandbox, all on this machine. Open the printed URL and sign in as alice.
 */
import { buildApp } from '../src/app.js';
import { createBridge } from '../src/bridge.js';
import { parseConfig, readEnvironment, secretValues } from '../src/config/parse.js';
import { ConfigError } from '../src/errors.js';
import { createAuditLogger } from '../src/observability/audit.js';
import { createLogger } from '../src/observability/log.js';
import { DEMO_AGENTS, DEMO_CHAT_CHANNEL, startSandbox } from './commbox-sandbox.js';
import { DEMO_PASSWORD, startDemoIdp } from './idp.js';

const env = readEnvironment();
const port = Number(env['PORT'] ?? 3000);
const publicUrl = `http://localhost:${port}`;

const sandbox = await startSandbox({
  brand: 'demo',
  agents: DEMO_AGENTS,
});
const idp = await startDemoIdp({
  redirectUris: [`${publicUrl}/callback`],
  postLogoutRedirectUris: [`${publicUrl}/logged-out?done=1`],
});

let config;
try {
  config = parseConfig({
    ALLOWED_GROUPS: 'commbox-agents',
    LOG_LEVEL: env['LOG_LEVEL'] ?? 'info',
    PORT: String(port),
    HOST: env['HOST'] ?? '127.0.0.1',
    PUBLIC_URL: publicUrl,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    OIDC_LOGOUT: 'end_session',
    COMMBOX_API_URL: sandbox.url,
    COMMBOX_API_KEY: sandbox.apiKey,
    COMMBOX_BRAND: sandbox.brand,
    COMMBOX_LOGIN_URL: sandbox.loginUrl,
    COMMBOX_CHAT_URL: sandbox.chatUrl,
    COMMBOX_CHAT_CHANNELS: DEMO_CHAT_CHANNEL,
    COOKIE_SECRET: 'demo-cookie-secret-not-for-production-0123456789',
  });
} catch (e) {
  process.stderr.write(`${e instanceof ConfigError ? e.message : String(e)}\n`);
  process.exit(1);
}

const secrets = secretValues(config);
const logger = createLogger({ level: config.logLevel, secrets, format: config.logFormat });
// The audit trail on its own logger, as server.ts has it (docs/audit.md).
const audit = createAuditLogger({ secrets, format: config.logFormat });
const bridge = await createBridge(config);
const app = await buildApp({ bridge, logger, audit });
await app.listen({ port: config.port, host: config.host });
await bridge.oidc.discover();

process.stdout.write(`
CommBox SSO bridge demo is running.

  Open ${publicUrl}/ and click "Open CommBox",
  or ${publicUrl}/chat/${DEMO_CHAT_CHANNEL} for customer chat access.
  Sign in as alice (an agent), bob (not in the allowed group) or carol (unverified email);
  the password is "${DEMO_PASSWORD}".

  Demo IdP:        ${idp.issuer}
  CommBox sandbox: ${sandbox.loginUrl}

Press Ctrl+C to stop.
`);

async function stop() {
  await app.close();
  await idp.close();
  await sandbox.close();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
