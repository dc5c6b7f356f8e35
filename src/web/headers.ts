/**
 * The headers every answer carries: no caching, no referrer, no sniffing, no
 * framing, a strict Content-Security-Policy, and HSTS when served over https.
 */
import { PAGE_CSP } from './pages.js';

/** The security headers; `https`: the public URL is https (adds HSTS); `csp`: the pages' look's (`pagesLook`). */
export function securityHeaders(https: boolean, csp: string = PAGE_CSP): Record<string, string> {
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': csp,
  };
  if (https) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  return headers;
}
