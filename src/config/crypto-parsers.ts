/**
 * Parsers of the variable table for keys, certificates and secrets: the client's
 * private key and certificate (`private_key_jwt`), CA certificates, the cookie
 * secret. Files a variable names are read at start-up, so that a wrong path stops
 * the start instead of the first login.
 */
import { createHash, createPrivateKey, X509Certificate, type JsonWebKey, type KeyObject } from 'node:crypto';
import { isSet, list } from './parsers.js';
import { secretWeakness } from './strength.js';
import type { ParseContext, Parser } from './variable.js';

/** A private key read from the file the variable names, and the `kid` of a JWK. */
export interface PrivateKeyFile {
  readonly key: KeyObject;
  readonly kid: string | undefined;
}

/**
 * Reads a private key given as PEM or as a JWK (JSON); names the problem when it
 * is not an RSA (2048 bits or more) or P-256/P-384 key.
 */
export function parsePrivateKey(text: string): { key?: KeyObject; kid?: string; problem?: string } {
  let key: KeyObject;
  let kid: string | undefined;
  try {
    if (text.trimStart().startsWith('{')) {
      const jwk = JSON.parse(text) as JsonWebKey & { kid?: string };
      kid = typeof jwk.kid === 'string' ? jwk.kid : undefined;
      key = createPrivateKey({ key: jwk, format: 'jwk' });
    } else {
      key = createPrivateKey(text);
    }
  } catch {
    return { problem: 'is not a private key in PEM or JWK form' };
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' && (details.modulusLength ?? 0) >= 2048) return { key, kid };
  if (type === 'ec' && (details.namedCurve === 'prime256v1' || details.namedCurve === 'secp384r1')) return { key, kid };
  return { problem: 'must be an RSA key of 2048 bits or more, or an EC key on P-256 or P-384' };
}

/** The file a variable names, or undefined after reporting why it cannot be read. */
function readNamedFile(path: string, ctx: ParseContext): string | undefined {
  try {
    return ctx.readFile(path);
  } catch (e) {
    ctx.bad(
      `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}): check the path and the mounted secret's keys, or remove the variable`,
    );
    return undefined;
  }
}

export const privateKeyFile: Parser<PrivateKeyFile | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  const content = readNamedFile(raw, ctx);
  if (content === undefined) return undefined;
  const parsed = parsePrivateKey(content);
  if (parsed.problem !== undefined || parsed.key === undefined) {
    ctx.bad(parsed.problem ?? 'cannot be read');
    return undefined;
  }
  return { key: parsed.key, kid: parsed.kid };
};

/** The client certificate of `private_key_jwt`, and its thumbprints for the assertion header. */
export interface ClientCertificate {
  readonly certificate: X509Certificate;
  /** base64url SHA-256 of the DER (`x5t#S256`). */
  readonly x5tS256: string;
  /** base64url SHA-1 of the DER (`x5t`, which Entra ID reads). */
  readonly x5t: string;
}

export const certificateFile: Parser<ClientCertificate | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  const content = readNamedFile(raw, ctx);
  if (content === undefined) return undefined;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(content);
  } catch {
    ctx.bad('is not an X.509 certificate in PEM form');
    return undefined;
  }
  return {
    certificate,
    x5tS256: createHash('sha256').update(certificate.raw).digest('base64url'),
    x5t: createHash('sha1').update(certificate.raw).digest('base64url'),
  };
};

/**
 * A file of CA certificates (PEM, one or more), as one PEM text: the CAs a
 * server's TLS certificate must chain to, instead of Node's trusted ones.
 */
export const caCertificatesFile: Parser<string | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  const content = readNamedFile(raw, ctx);
  if (content === undefined) return undefined;
  const blocks = content.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    ctx.bad(`${raw} holds no certificate in PEM form (-----BEGIN CERTIFICATE-----)`);
    return undefined;
  }
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch {
      ctx.bad(
        `${blocks.length > 1 ? `certificate #${i + 1}` : 'the certificate'} in ${raw} cannot be read as an X.509 certificate`,
      );
    }
  });
  return blocks.join('\n') + '\n';
};

/** The cookie secrets: a comma list, for rotation (base64 secrets have no commas), each strong enough. */
export const cookieSecrets: Parser<string[]> = (raw, ctx) => {
  const secrets = list(raw, ctx);
  secrets.forEach((c, i) => {
    const which = secrets.length > 1 ? `secret #${i + 1} ` : '';
    const weakness = c.length < 32 ? `must be at least 32 characters (has ${c.length})` : secretWeakness(c);
    if (weakness !== undefined) ctx.bad(`${which}${weakness}; generate one with: openssl rand -base64 32`);
  });
  return secrets;
};
