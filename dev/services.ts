/**
 * The demo IdP or the CommBox sandbox as a service of its own, for the Docker
 * Compose stack: `node dist/demo-services.mjs idp|sandbox`. Configured by
 * DEMO_* variables (see docker-compose.yml). Development only.
 */
import { readEnvironment } from '../src/config/parse.js';
import { DEMO_AGENTS, startSandbox } from './commbox-sandbox.js';
import { startDemoIdp } from './idp.js';

const env = readEnvironment();
const which = process.argv[2];
const host = env['DEMO_HOST'] ?? '0.0.0.0';

if (which === 'idp') {
  const port = Number(env['DEMO_IDP_PORT'] ?? 4000);
  const idp = await startDemoIdp({
    host,
    port,
    issuer: env['DEMO_IDP_ISSUER'] ?? `http://localhost:${port}`,
    redirectUris: (env['DEMO_REDIRECT_URIS'] ?? 'http://localhost:3000/callback').split(','),
    postLogoutRedirectUris: (env['DEMO_POST_LOGOUT_REDIRECT_URIS'] ?? 'http://localhost:3000/logged-out?done=1').split(
      ',',
    ),
    clientId: env['DEMO_CLIENT_ID'] ?? 'commbox-bridge',
    clientSecret: env['DEMO_CLIENT_SECRET'] ?? 'demo-client-secret-0123456789',
  });
  process.stdout.write(`demo IdP: ${idp.issuer}\n`);
  const stop = () => void idp.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else if (which === 'sandbox') {
  const port = Number(env['DEMO_SANDBOX_PORT'] ?? 4001);
  const sandbox = await startSandbox({
    host,
    port,
    publicUrl: env['DEMO_SANDBOX_URL'] ?? `http://localhost:${port}`,
    brand: env['DEMO_BRAND'] ?? 'demo',
    apiKey: env['DEMO_API_KEY'] ?? 'sandbox-api-key-0123456789',
    agents: DEMO_AGENTS,
  });
  process.stdout.write(`CommBox sandbox: ${sandbox.loginUrl}\n`);
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  process.stderr.write('usage: node dist/demo-services.mjs idp|sandbox\n');
  process.exit(2);
}
