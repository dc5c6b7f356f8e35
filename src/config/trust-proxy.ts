/**
 * `TRUST_PROXY`: the proxies whose `X-Forwarded-For` entries the bridge believes.
 *
 * Only addresses and CIDR ranges are accepted. The client IP is then the
 * nearest address, walking back from the socket through `X-Forwarded-For`, that
 * is not a trusted proxy: a client that connects directly is never trusted, and
 * what a client writes into the header itself lies beyond the first untrusted
 * hop, so it cannot choose its address. `true` (trust anyone) and hop counts
 * (trust whoever is nearest, the direct client included; Fastify 5 also ignores
 * them) are refused with what to write instead.
 */
import { isIP } from 'node:net';
import { addressBytes, formatAddress, isV4Mapped, network } from './ip-address.js';

const EXAMPLE = 'e.g. TRUST_PROXY=10.42.0.0/16';
const WRITE_INSTEAD = `list the proxy's addresses or CIDRs, ${EXAMPLE}`;

/** proxy-addr's named ranges: `loopback` is accepted (a proxy on the same host, or in the same pod); the others are too wide. */
const LOOPBACK = ['127.0.0.0/8', '::1'];
/** The widest ranges accepted: a proxy fleet lives in a /8 (IPv4) or a /32 (IPv6) at most. */
const MIN_IPV4_PREFIX = 8;
const MIN_IPV6_PREFIX = 32;

const REFUSED_NAMES: Record<string, string> = {
  uniquelocal:
    'trusts every private address (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7): any machine on the internal network could choose its address',
  linklocal: 'trusts every link-local address (169.254.0.0/16, fe80::/10), not a proxy of yours',
};

/** One entry's problem, or undefined when it is a usable address or CIDR. */
function entryProblem(entry: string): string | undefined {
  const lower = entry.toLowerCase();
  if (Object.hasOwn(REFUSED_NAMES, lower)) return `"${entry}" ${REFUSED_NAMES[lower]}; ${WRITE_INSTEAD}`;
  const slash = entry.indexOf('/');
  const addr = slash === -1 ? entry : entry.slice(0, slash);
  const bits = slash === -1 ? undefined : entry.slice(slash + 1);
  if (addr.includes('%'))
    return `"${entry}": write the address without a zone index (${addr.slice(addr.indexOf('%'))})`;
  const family = isIP(addr);
  if (family !== 4 && family !== 6) {
    return `"${entry}" is not an IP address, a CIDR range or loopback; ${WRITE_INSTEAD}`;
  }
  const max = family === 4 ? 32 : 128;
  if (bits !== undefined && !/^(?:0|[1-9]\d{0,2})$/.test(bits))
    return `"${entry}": the prefix length after / is a number of bits, 1 to ${max}`;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return `"${entry}": an IPv${family} prefix length is 1 to ${max}`;
  if (prefix === 0)
    return `"${entry}" trusts every address, as TRUST_PROXY=true would (any client could choose its address); ${WRITE_INSTEAD}`;
  // Wider than any one network's proxies: a few such ranges together trust the whole internet.
  const widest = family === 4 ? MIN_IPV4_PREFIX : MIN_IPV6_PREFIX;
  if (prefix < widest)
    return `"${entry}" is wider than /${widest}: it trusts addresses far beyond the proxies; ${WRITE_INSTEAD}`;
  const bytes = addressBytes(addr, family);
  if (family === 6 && isV4Mapped(bytes)) {
    if (prefix < 96)
      return `"${entry}" mixes IPv4-mapped and other IPv6 addresses; list the IPv4 and the IPv6 ranges separately`;
    const v4 = formatAddress(bytes.slice(12)) + (bits === undefined ? '' : `/${prefix - 96}`);
    // IPv4 clients are matched against IPv4 entries whichever way the socket reports them.
    const problem = entryProblem(v4);
    return `"${entry}" is ${v4} written as IPv6: ${problem === undefined ? `write ${v4}` : problem}`;
  }
  const net = network(bytes, prefix);
  if (net.some((b, i) => b !== bytes[i])) {
    return `"${entry}" has bits set past its /${prefix}: write ${formatAddress(net)}/${prefix} for the range, or ${addr} for the one address`;
  }
  return undefined;
}

/**
 * Parses `TRUST_PROXY`: `false` (unset, empty or `false`: the socket's address
 * is the client's), or the trusted addresses and CIDR ranges (`loopback`
 * expanded) for Fastify's `trustProxy`. Every bad entry is reported.
 */
export function parseTrustProxy(raw: string | undefined, ctx: { bad(problem: string): void }): false | string[] {
  const value = raw?.trim() ?? '';
  if (value === '' || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'true') {
    ctx.bad(
      `TRUST_PROXY=true would trust X-Forwarded-For from anyone (any client could choose its address); ${WRITE_INSTEAD}`,
    );
    return false;
  }
  if (/^0+$/.test(value)) {
    ctx.bad(`"${value}" is a hop count, which is not supported; for no proxy write false (or leave it unset)`);
    return false;
  }
  if (/^\d+$/.test(value)) {
    ctx.bad(
      `"${value}" is a hop count, which is not supported: it would trust whoever connects nearest, a client that reaches the bridge directly included, and Fastify 5 ignores it (every client would look like the proxy); ${WRITE_INSTEAD} (unset or false: no proxy)`,
    );
    return false;
  }
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) {
    ctx.bad(`lists no address; ${WRITE_INSTEAD} (unset or false: no proxy)`);
    return false;
  }
  const trusted: string[] = [];
  let bad = false;
  for (const entry of entries) {
    if (entry.toLowerCase() === 'loopback') {
      trusted.push(...LOOPBACK);
      continue;
    }
    const problem = entryProblem(entry);
    if (problem === undefined) trusted.push(entry);
    else {
      bad = true;
      ctx.bad(problem);
    }
  }
  return bad ? false : trusted;
}

/**
 * Why a bridge whose PUBLIC_URL is https and which trusts no proxy is probably
 * misconfigured; undefined otherwise. The bridge itself speaks plain HTTP.
 */
export function untrustedProxyWarning(publicUrl: string, trustProxy: false | readonly string[]): string | undefined {
  if (trustProxy !== false || !publicUrl.toLowerCase().startsWith('https:')) return undefined;
  return (
    'PUBLIC_URL is https and TRUST_PROXY is unset: the bridge speaks plain HTTP, so something terminates TLS in front of it; ' +
    "without TRUST_PROXY every client is that proxy: one rate-limit bucket and one failed-login budget for everyone, and the audit ip is the proxy's. " +
    `Set TRUST_PROXY to the proxy's addresses or CIDRs (${EXAMPLE})`
  );
}
