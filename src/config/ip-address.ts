/**
 * IP addresses as bytes, for the few places that compare or group them
 * (`TRUST_PROXY`'s ranges, a client's IPv6 /64): one reading of IPv6's
 * shorthand (`::`, an embedded IPv4 tail), one canonical way to write it back.
 */

/** An address's 16 (IPv6) or 4 (IPv4) bytes; `addr` is valid for its family (node:net isIP). */
export function addressBytes(addr: string, family: 4 | 6): number[] {
  if (family === 4) return addr.split('.').map(Number);
  // An embedded IPv4 tail (`::ffff:10.0.0.1`) as its two 16-bit groups.
  const text = addr.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
    [(Number(a) << 8) | Number(b), (Number(c) << 8) | Number(d)].map((w) => w.toString(16)).join(':'),
  );
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [head = '', rest] = text.split('::');
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = [...left, ...Array<number>(rest === undefined ? 0 : 8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** The bytes back as an address, IPv6 in its canonical (compressed, lower-case) form. */
export function formatAddress(bytes: readonly number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return new URL(`http://[${words.join(':')}]`).hostname.slice(1, -1);
}

/** The bytes with every bit past `prefix` cleared. */
export function network(bytes: readonly number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/** True for IPv6 bytes of an IPv4-mapped address (`::ffff:a.b.c.d`). */
export function isV4Mapped(bytes: readonly number[]): boolean {
  return bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}
