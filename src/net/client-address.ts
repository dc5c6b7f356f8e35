/**
 * The client of a request: its bare address, and the key its rate limits and
 * failed-login budget are counted under.
 *
 * Fastify's `req.ip` is the nearest `X-Forwarded-For` entry that is not a
 * trusted proxy (`TRUST_PROXY`), as the proxy wrote it. Some proxies write it
 * with the client's source port (Azure Application Gateway: `203.0.113.9:51234`,
 * `[2001:db8::1]:51234`), which proxy-addr passes on unchanged: counted as it
 * is, every source port would be a client of its own (a way around every
 * limit), and the audit line would carry the port. An entry that is not an
 * address at all falls back to the socket's address (the proxy's: its one
 * bucket, fail closed).
 */
import proxyAddr from '@fastify/proxy-addr';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { addressBytes, formatAddress, isV4Mapped, network } from '../config/ip-address.js';

/** What {@link clientAddress} reads of a request (a Fastify request has both). */
export interface AddressedRequest {
  readonly ip: string;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

const V4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const V6_BRACKETED = /^\[([0-9a-fA-F:.]+)\](?::\d{1,5})?$/;

/** The client's bare IP address: `req.ip` without a `:port`, or the socket's address when `req.ip` is no address. */
export function clientAddress(req: AddressedRequest): string {
  const ip = req.ip;
  if (isIP(ip) !== 0) return ip;
  const v4 = V4_WITH_PORT.exec(ip)?.[1];
  if (v4 !== undefined && isIPv4(v4)) return v4;
  const v6 = V6_BRACKETED.exec(ip)?.[1];
  if (v6 !== undefined && isIPv6(v6)) return v6;
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * The key a client is counted under (rate limits, failed-login budget): an IPv4
 * address (also written IPv4-mapped), or an IPv6 address's /64, one
 * subscriber's prefix, whose 2^64 addresses are one client.
 */
export function clientKey(address: string): string {
  const family = isIP(address);
  if (family !== 6) return address;
  const bytes = addressBytes(address, 6);
  if (isV4Mapped(bytes)) return formatAddress(bytes.slice(12));
  return `${formatAddress(network(bytes, 64))}/64`;
}

/**
 * Whether a request's connecting peer (the socket's address, never
 * `X-Forwarded-For`) is one of `TRUST_PROXY`'s proxies: the matcher Fastify
 * compiles from the same list (proxy-addr's), so "trusted" means one thing.
 * What a trusted proxy forwards may be believed; what anyone else sends may not.
 */
export function trustedPeer(trustProxy: false | readonly string[]): (req: Pick<AddressedRequest, 'socket'>) => boolean {
  if (trustProxy === false) return () => false;
  const trusted = proxyAddr.compile([...trustProxy]);
  return (req) => {
    const peer = req.socket.remoteAddress;
    return peer !== undefined && trusted(peer, 0);
  };
}
