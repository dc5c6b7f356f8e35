/**
 * How the bridge authenticates at an IdP's token endpoint (`OIDC_CLIENT_AUTH`),
 * through openid-client's client authentication methods.
 */
import { generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import * as client from 'openid-client';
import * as jose from 'jose';
import type { OidcSettings } from '../config/parse.js';
import { BridgeError, Reasons } from '../errors.js';

/** openid-client's client authentication for `OIDC_CLIENT_AUTH`; `tokenEndpoint` is the assertion's audience when so configured. */
export async function clientAuthentication(o: OidcSettings, tokenEndpoint: string): Promise<client.ClientAuth> {
  switch (o.clientAuth) {
    case 'client_secret_post':
      return client.ClientSecretPost(o.clientSecret);
    case 'private_key_jwt': {
      const key = o.clientPrivateKey;
      if (!key) throw new BridgeError(Reasons.internalError, { detail: 'private_key_jwt without a private key' });
      const alg =
        key.asymmetricKeyType === 'rsa'
          ? 'RS256'
          : key.asymmetricKeyDetails?.namedCurve === 'secp384r1'
            ? 'ES384'
            : 'ES256';
      const cryptoKey = await jose.importPKCS8(key.export({ type: 'pkcs8', format: 'pem' }) as string, alg);
      // Entra ID and Okta want the token endpoint as the assertion's audience
      // (openid-client sends the issuer), and Entra ID finds a key registered
      // as a certificate by its thumbprint.
      const audience = o.clientAssertionAudience === 'token_endpoint' ? tokenEndpoint : undefined;
      const cert = o.clientCertificate;
      return client.PrivateKeyJwt(
        { key: cryptoKey, kid: o.clientPrivateKeyKid },
        {
          [client.modifyAssertion]: (header, payload) => {
            if (audience !== undefined) payload['aud'] = audience;
            if (cert !== undefined) {
              header['x5t#S256'] = cert.x5tS256;
              header['x5t'] = cert.x5t;
            }
          },
        },
      );
    }
    default:
      return client.ClientSecretBasic(o.clientSecret);
  }
}

/**
 * The same client authentication with a credential the IdP cannot accept, for
 * check-config's control request (credentials-probe.ts): a random secret, or an
 * assertion with the same header and claims signed by a throwaway key of the
 * configured key's type and size (so of the same algorithm).
 */
export async function wrongClientAuthentication(o: OidcSettings, tokenEndpoint: string): Promise<client.ClientAuth> {
  if (o.clientAuth !== 'private_key_jwt')
    return clientAuthentication({ ...o, clientSecret: randomBytes(32).toString('base64url') }, tokenEndpoint);
  const key = o.clientPrivateKey;
  if (!key) throw new BridgeError(Reasons.internalError, { detail: 'private_key_jwt without a private key' });
  return clientAuthentication({ ...o, clientPrivateKey: await throwawayKey(key) }, tokenEndpoint);
}

const generate = promisify(generateKeyPair);

/** A new private key of `like`'s type and size: RSA of its modulus length, EC on its curve. */
async function throwawayKey(like: KeyObject): Promise<KeyObject> {
  const details = like.asymmetricKeyDetails;
  const pair =
    like.asymmetricKeyType === 'rsa'
      ? await generate('rsa', { modulusLength: details?.modulusLength ?? 2048 })
      : await generate('ec', { namedCurve: details?.namedCurve ?? 'prime256v1' });
  return pair.privateKey;
}

/**
 * True when a client secret has characters that are form-encoded in the HTTP
 * Basic header (RFC 6749 §2.3.1) and some IdPs do not decode.
 */
export function secretNeedsFormEncoding(secret: string): boolean {
  return /[^A-Za-z0-9]/.test(secret);
}
