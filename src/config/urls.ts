/**
 * URLs in the configuration: https everywhere, http only to this machine (local
 * testing); and the URL parsers of the variable table.
 */
import { isIP } from 'node:net';
import { isSet } from './parsers.js';
import type { Parser } from './variable.js';

/**
 * True for `localhost`, 127.0.0.0/8 and ::1. Not `*.localhost`: browsers keep
 * those on the machine, but Node asks the system resolver, which may ask DNS.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/** An https URL (http only for loopback hosts), without credentials or fragment. */
export const httpsUrl =
  ({ query = false, fallback }: { query?: boolean; fallback?: string } = {}): Parser<URL | undefined> =>
  (raw, ctx) => {
    const value = isSet(raw) ? raw : fallback;
    if (value === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      ctx.bad(`"${value}" is not an absolute URL`);
      return undefined;
    }
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) {
      ctx.bad('must be https (http is accepted only for localhost and 127.0.0.1, for local testing)');
      return undefined;
    }
    if (u.username || u.password) ctx.bad('must not contain credentials');
    if (u.hash) ctx.bad('must not contain a #fragment');
    if (!query && u.search) ctx.bad('must not contain a query string');
    return u;
  };

/** A URL as parsed, and exactly as written (the WHATWG parser rewrites some: a bare origin gains a `/`). */
export interface UrlAsWritten {
  readonly url: URL;
  readonly written: string;
}

/**
 * {@link httpsUrl}, keeping the text as written: for URLs the bridge extends
 * (`?ta=`, `/<channel>`) and sends as the company wrote them.
 */
export const httpsUrlAsWritten =
  (options: { query?: boolean } = {}): Parser<UrlAsWritten | undefined> =>
  (raw, ctx) => {
    const url = httpsUrl(options)(raw, ctx);
    return url === undefined || raw === undefined ? undefined : { url, written: raw };
  };

/**
 * A URL of one of `schemes` (credentials allowed: proxies carry them),
 * kept as written. `what` names it in the problem when it does not parse, and
 * `schemesText` when its scheme is another.
 */
export const urlOfScheme =
  (schemes: readonly string[], what: string, schemesText: string): Parser<string | undefined> =>
  (raw, ctx) => {
    if (!isSet(raw)) return undefined;
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      ctx.bad(what);
      return undefined;
    }
    if (!schemes.includes(u.protocol)) ctx.bad(schemesText);
    return raw;
  };
