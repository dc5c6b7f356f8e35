/**
 * `npm run check-config` (`node dist/commbox-sso-bridge.mjs --check`): validates
 * the configuration, performs discovery and a JWKS fetch, and reports what it
 * found, without starting the server. Exit code 0 when all is well, 1 otherwise.
 */
import { createBridge } from './bridge.js';
import type { BridgeConfig } from './config.js';
import { describe } from './oidc.js';

/** Runs the checks and writes a report; resolves to the exit code. */
export async function checkConfig(config: BridgeConfig, out: (line: string) => void): Promise<number> {
  out('configuration: ok');
  out(`  public URL:   ${config.publicUrl} (redirect URI ${config.redirectUri}, initiate-login URI ${config.publicUrl}/initiate)`);
  out(`  CommBox:      ${config.commbox.apiUrl} brand "${config.commbox.brand}", login ${config.commbox.loginUrl}`);
  const bridge = createBridge(config);
  try {
    const idp = await bridge.oidc.discover();
    out(`IdP: ${idp.issuer}`);
    out(`  authorization endpoint: ${idp.authorizationEndpoint}`);
    out(`  token endpoint:         ${idp.tokenEndpoint}`);
    out(`  userinfo endpoint:      ${idp.userinfoEndpoint ?? '(none: claims must be in the ID token)'}`);
    out(`  JWKS:                   ${idp.jwksUri} (${idp.keyCount} key(s))`);
    out(`  ID token algorithm:     ${idp.idTokenAlg}${config.oidc.idTokenAlg ? ' (pinned by OIDC_ID_TOKEN_ALG)' : ' (from the IdP metadata)'}; the IdP lists ${idp.advertisedAlgs.join(', ') || 'none'}`);
    out(`  RFC 9207 iss parameter: ${idp.issParameterSupported ? 'advertised (checked on every callback)' : 'not advertised'}`);
    return 0;
  } catch (e) {
    out(`IdP: FAILED: ${describe(e)}`);
    return 1;
  } finally {
    await bridge.close();
  }
}
