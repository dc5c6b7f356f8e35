/**
 * Generic value parsers of the variable table: text, whole numbers, true/false,
 * comma lists, one of a few words, domain names, listening addresses. URLs are
 * `urls.ts`; keys, certificates and secrets `crypto-parsers.ts`.
 */
import { isIP } from 'node:net';
import type { Parser } from './variable.js';

/** True when the variable has a value: set, and not empty. */
export const isSet = (raw: string | undefined): raw is string => raw !== undefined && raw !== '';

/** The value as set; undefined when unset or empty. */
export const text: Parser<string | undefined> = (raw) => (isSet(raw) ? raw : undefined);

export const integer =
  (fallback: number, min: number, max: number): Parser<number> =>
  (raw, ctx) => {
    if (!isSet(raw)) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      ctx.bad(`must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };

/** A whole number from `min` to `max`; undefined when unset. */
export const optionalInteger =
  (min: number, max: number): Parser<number | undefined> =>
  (raw, ctx) => {
    if (!isSet(raw)) return undefined;
    return integer(min, min, max)(raw, ctx);
  };

export const boolean =
  (fallback: boolean): Parser<boolean> =>
  (raw, ctx) => {
    if (!isSet(raw)) return fallback;
    const v = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    ctx.bad(`must be true or false, got "${raw}"`);
    return fallback;
  };

/** A comma list, blanks dropped. */
export const list: Parser<string[]> = (raw) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export const oneOf =
  <T extends string>(values: readonly T[], fallback: T): Parser<T> =>
  (raw, ctx) => {
    if (!isSet(raw)) return fallback;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    ctx.bad(`must be one of ${values.join(', ')}`);
    return fallback;
  };

const normalizeDomain = (d: string) => d.toLowerCase().replace(/^@/, '');

/** A comma list of domain names, in lower case, a leading `@` dropped. */
export const domains: Parser<string[]> = (raw, ctx) => {
  const out = list(raw, ctx).map(normalizeDomain);
  for (const d of out) if (!/^[a-z0-9.-]+\.[a-z0-9-]+$/.test(d)) ctx.bad(`"${d}" is not a domain name`);
  return out;
};

/** An address to listen on: an IP address (`0.0.0.0` or `::` for every interface) or `localhost`; never a host name that DNS could move. */
export const listenAddress =
  (fallback: string): Parser<string> =>
  (raw, ctx) => {
    if (!isSet(raw)) return fallback;
    if (isIP(raw) === 0 && raw.toLowerCase() !== 'localhost') {
      ctx.bad(
        `"${raw}" is not an IP address: write the address to listen on (127.0.0.1 for this machine only, 0.0.0.0 for every interface) or localhost`,
      );
      return fallback;
    }
    return raw;
  };
