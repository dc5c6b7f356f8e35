/**
 * The redirect that carries the ticket into CommBox: `?ta=<ticket>`, the ticket
 * exactly as received.
 */

/**
 * Percent-encodes what is not URL-safe in the ticket and leaves everything else,
 * including existing `%xx` escapes (CommBox's own example ends in `%3d%3d`), as is.
 */
export function encodeTicket(ticket: string): string {
  return ticket.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~%]/gu, (c) => encodeURIComponent(c));
}

/**
 * Appends `ta=<ticket>` to a URL, keeping its query and fragment, without
 * re-encoding anything already in it.
 */
export function appendTicket(baseUrl: string, ticket: string): string {
  const hash = baseUrl.indexOf('#');
  const head = hash === -1 ? baseUrl : baseUrl.slice(0, hash);
  const tail = hash === -1 ? '' : baseUrl.slice(hash);
  const sep = !head.includes('?') ? '?' : head.endsWith('?') || head.endsWith('&') ? '' : '&';
  return `${head}${sep}ta=${encodeTicket(ticket)}${tail}`;
}
