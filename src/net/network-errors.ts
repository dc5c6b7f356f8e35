/**
 * Errors on the way to a server, said once and with what to check: the log's one-line description of
 * any error ({@link describeError}) and the network or TLS failure at its root.
 */
import { BridgeError } from '../errors.js';

/** TLS verification failures that a corporate TLS-inspecting proxy typically causes. */
export const UNTRUSTED_CERT_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * What failed on the way to a server, and what to check, in one sentence; undefined
 * when the error (or its causes) is not a network or TLS failure. Libraries wrap
 * these errors several times ("something went wrong" around "fetch failed" around
 * "getaddrinfo ENOTFOUND …"): this names the root once.
 */
export function explainNetworkError(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 8; cur = cur.cause, depth++) {
    const err = cur as NodeJS.ErrnoException & { hostname?: string; address?: string; port?: number };
    const code = typeof err.code === 'string' ? err.code : '';
    const where = err.hostname ?? (err.address ? `${err.address}${err.port ? `:${err.port}` : ''}` : undefined);
    const at = where ? ` ${where}` : '';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') {
      return `DNS lookup of${at || ' the host'} failed (${code}): check the host name, the DNS this service uses, and that egress to it is allowed`;
    }
    if (code === 'ECONNREFUSED')
      return `the connection to${at || ' the host'} was refused (ECONNREFUSED): check the URL and port, and that the server is up`;
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET')
      return `the connection was closed by the other side or a proxy (${code}): check egress rules and any proxy on the way`;
    if (
      code === 'ETIMEDOUT' ||
      code === 'ENETUNREACH' ||
      code === 'EHOSTUNREACH' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      return `no connection to${at || ' the host'} (${code}): check that egress from this service to it is allowed (firewall, network policy, proxy)`;
    }
    if (UNTRUSTED_CERT_CODES.has(code)) {
      return `the server's TLS certificate is not trusted (${code}): if a corporate proxy inspects TLS, give its CA certificate with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`;
    }
    if (code === 'CERT_HAS_EXPIRED' || code === 'ERR_TLS_CERT_ALTNAME_INVALID')
      return `the server's TLS certificate is not valid for it (${code}): check the URL's host name, and the certificate`;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || err.name === 'TimeoutError')
      return 'the server did not answer in time: check that it is up and that nothing on the way holds the connection';
  }
  return undefined;
}

/**
 * A one-line description of an error, without its cause's payload: a refusal
 * says what it says; a network or TLS failure says what failed and what to check;
 * otherwise the distinct messages of the error and its causes, outermost first.
 */
export function describeError(e: unknown): string {
  if (e instanceof BridgeError) return e.message.slice(0, 500);
  const network = explainNetworkError(e);
  if (network !== undefined) return network;
  if (e instanceof Error) {
    const parts: string[] = [];
    for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 4; cur = cur.cause, depth++) {
      const code = (cur as { code?: unknown }).code;
      const text = `${typeof code === 'string' && !cur.message.includes(code) ? `${code}: ` : ''}${cur.message}`;
      // Wrappers that add nothing ("something went wrong", "fetch failed") are left out when a cause says more.
      if (!parts.includes(text) && !(cur.cause instanceof Error && GENERIC_MESSAGES.test(cur.message)))
        parts.push(text);
    }
    return (parts.join(' <- ') || e.message).slice(0, 500);
  }
  return String(e).slice(0, 200);
}

const GENERIC_MESSAGES = /^(something went wrong|fetch failed|operation (timed out|aborted))$/;
