/**
 * The standard OpenTelemetry variables the bridge reads itself (`OTEL_*` in the
 * "Operations" section): whether traces are on, where they go and how they are
 * sampled. The bridge passes what it parsed to the SDK, so a `.env` file counts
 * as the environment does; the SDK's other `OTEL_*` variables are its own.
 */
import { isSet } from './parsers.js';
import type { Parser } from './variable.js';

/** The samplers of the OpenTelemetry specification that the bridge offers. */
export const TRACE_SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;
export type TraceSampler = (typeof TRACE_SAMPLERS)[number];

/**
 * An OTLP/HTTP endpoint: an `http://` or `https://` URL. `localhost:4318`
 * without a scheme parses as a URL of scheme `localhost:`: refused, with the
 * value to write instead. A user name or password in it (`user:token@host`)
 * is refused: the backend's credential belongs in the (secret) export headers.
 * No problem quotes the value: it may hold a credential. Plain `http://` with
 * export headers is a rule across variables (global-rules.ts).
 */
export const otlpEndpoint: Parser<string | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    /* reported below */
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    ctx.bad(
      'must be an http:// or https:// URL of the OTLP/HTTP receiver, the scheme written before the host: e.g. http://otel-collector:4318 (an in-cluster collector) or https://otlp.example.com',
    );
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    ctx.bad(
      'must not carry a user name or password (user:password@): write the URL without them and put the credential in OTEL_EXPORTER_OTLP_HEADERS (a secret), e.g. authorization=Basic%20<base64 of user:password>',
    );
    return undefined;
  }
  return raw;
};

/**
 * A W3C Baggage-style list, `key=value,key2=value2` (values percent-encoded), as
 * OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES are written. With
 * `secret`, a problem never quotes the value.
 */
export const keyValueList =
  (secret: boolean): Parser<Readonly<Record<string, string>>> =>
  (raw, ctx) => {
    const out: Record<string, string> = {};
    if (!isSet(raw)) return out;
    for (const [i, item] of raw.split(',').entries()) {
      if (item.trim() === '') continue;
      const eq = item.indexOf('=');
      const key = eq < 0 ? '' : item.slice(0, eq).trim();
      if (key === '' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
        ctx.bad(
          `item ${i + 1}${secret ? '' : ` ("${item.trim().slice(0, 40)}")`} is not key=value: write key=value pairs separated by commas, values percent-encoded`,
        );
        continue;
      }
      let value = item.slice(eq + 1).trim();
      try {
        value = decodeURIComponent(value);
      } catch {
        ctx.bad(`the value of ${key} is not percent-encoded correctly`);
      }
      out[key] = value;
    }
    return out;
  };

/** OTEL_TRACES_SAMPLER_ARG: the ratio of the `traceidratio` samplers, from 0 to 1. */
export const samplerRatio: Parser<number | undefined> = (raw, ctx) => {
  if (!isSet(raw)) return undefined;
  const n = Number(raw);
  if (!/^\s*\d*\.?\d+\s*$/.test(raw) || !(n >= 0 && n <= 1)) {
    ctx.bad(`must be a number from 0 to 1 (the share of logins traced), got "${raw}"`);
    return undefined;
  }
  return n;
};
