/**
 * `npm run check-config` (`node dist/commbox-sso-bridge.mjs --check`): validates
 * the configuration, performs discovery and a JWKS fetch, and reports what it
 * found, without starting the server. Exit code 0 when all is well, 1 otherwise.
 */
import { createBridge } from './bridge.js';
import type { BridgeConfig } from './config/parse.js';
import { describe } from './errors.js';
import { secretNeedsFormEncoding } from './oidc/client.js';

/** Runs the checks and writes a report; resolves to the exit code. */
export async function checkConfig(config: BridgeConfig, out: (line: string) => void): Promise<number> {
  out('configuration: ok');
  out(`  public URL:   ${config.publicUrl} (redirect URI ${config.idps[0]!.redirectUri}, initiate-login URI ${config.publicUrl}/initiate)`);
  out(`  CommBox:      ${config.commbox.apiUrl} brand "${config.commbox.brand}", login ${config.commbox.loginUrl}`);
  const bridge = createBridge(config);
  let code = 0;
  try {
    for (const { config: c, oidc } of bridge.idps.values()) {
      const label = c.name === 'default' ? 'IdP' : `IdP "${c.name}"`;
      try {
        const idp = await oidc.discover();
        out(`${label}: ${idp.issuer}`);
        out(`  login / redirect URI:   ${config.publicUrl}${c.loginPath} / ${c.redirectUri}`);
        out(`  authorization endpoint: ${idp.authorizationEndpoint}`);
        out(`  token endpoint:         ${idp.tokenEndpoint}`);
        out(`  userinfo endpoint:      ${idp.userinfoEndpoint ?? '(none: claims must be in the ID token)'}`);
        out(`  JWKS:                   ${idp.jwksUri} (${idp.keyCount} key(s))`);
        out(
          `  ID token algorithm:     ${idp.idTokenAlg}${c.oidc.idTokenAlg ? ' (pinned)' : ' (from the IdP metadata)'}; the IdP lists ${idp.advertisedAlgs.join(', ') || 'none'}`,
        );
        out(`  RFC 9207 iss parameter: ${idp.issParameterSupported ? 'advertised (checked on every callback)' : 'not advertised'}`);
        out(`  client authentication:  ${c.oidc.clientAuth}; the IdP offers ${idp.tokenEndpointAuthMethods.join(', ')}`);
        if (!idp.tokenEndpointAuthMethods.includes(c.oidc.clientAuth)) {
          out(`WARNING: the IdP does not list ${c.oidc.clientAuth}; set the client authentication to one it offers`);
        }
        if (
          c.oidc.clientAuth === 'client_secret_basic' &&
          secretNeedsFormEncoding(c.oidc.clientSecret) &&
          idp.tokenEndpointAuthMethods.includes('client_secret_post')
        ) {
          out('WARNING: the client secret has characters other than letters and digits; the bridge form-encodes them in the');
          out('  HTTP Basic header (RFC 6749 §2.3.1) and some IdPs do not decode them, answering invalid_client or');
          out('  unauthorized_client. If logins fail with token_exchange_failed, use client_secret_post.');
        }
      } catch (e) {
        out(`${label}: FAILED: ${describe(e)}`);
        code = 1;
      }
    }
  } finally {
    await bridge.close();
  }
  return code;
}
