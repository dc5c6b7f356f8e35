/**
 * A login started on a host other than PUBLIC_URL's is sent to PUBLIC_URL
 * first. Its login cookie would be set for the host the browser is on, while
 * the IdP sends the browser back to PUBLIC_URL's callback, which would never
 * see it (the page would blame cookies). The target is always PUBLIC_URL's own
 * origin and the route's own path; only the query string is the request's.
 */
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Marks a browser just sent to PUBLIC_URL, so that a proxy which rewrites Host cannot make a loop of it. */
export const SENT_TO_PUBLIC_URL_COOKIE = 'cbx_public_url';
/** Long enough for the browser to follow the redirect; short, so that it does not outlive that. */
export const SENT_TO_PUBLIC_URL_MAX_AGE_SEC = 30;

/** The mark in a Cookie header (by its exact name: another cookie's name may end with it). */
const SENT_MARK = new RegExp(`(?:^|;)\\s*${SENT_TO_PUBLIC_URL_COOKIE}=`);

/** What a host name and port may be made of: no user info, path, query, fragment or space. */
const AUTHORITY = /^[A-Za-z0-9.\-_~:[\]%!$&'()*+,;=]+$/;

/**
 * Whether `host` (the Host header, or X-Forwarded-Host from a proxy listed in
 * TRUST_PROXY) is PUBLIC_URL's host and port, compared as browsers compare
 * origins: case-insensitively, the scheme's default port written or not, IPv6
 * addresses in any spelling. Undefined when there is no host to compare (an
 * HTTP/1.0 request without Host): nothing says which host the browser is on.
 */
export function isPublicHost(host: string, publicUrl: URL): boolean | undefined {
  if (host === '') return undefined;
  if (!AUTHORITY.test(host)) return false;
  try {
    return new URL(`${publicUrl.protocol}//${host}/`).host === publicUrl.host;
  } catch {
    return false;
  }
}

/** The login routes' redirect to PUBLIC_URL. */
export class PublicHostRedirect {
  readonly #publicUrl: URL;
  /** PUBLIC_URL without its trailing slash: the route's path is appended to it. */
  readonly #base: string;
  readonly #secure: boolean;
  /** A proxy that rewrites Host is reported once, not per login. */
  #rewriteReported = false;

  constructor(publicUrl: string, secure: boolean) {
    this.#publicUrl = new URL(publicUrl);
    this.#base = publicUrl.replace(/\/+$/, '');
    this.#secure = secure;
  }

  /**
   * Answers a request for `path` (the route's own: `/login`, `/initiate`,
   * `/chat/<channel>`) that arrived on another host with a redirect to the same
   * path and query on PUBLIC_URL; undefined when the request may go on here.
   * A POST (a launcher tile's form) is sent on with 307, which keeps its
   * method and body: the form's fields are not copied into a URL.
   */
  redirect(req: FastifyRequest, reply: FastifyReply, path: string): FastifyReply | undefined {
    const host = req.host;
    if (isPublicHost(host, this.#publicUrl) !== false) return undefined;
    const seen = JSON.stringify(host.slice(0, 100));
    if (SENT_MARK.test(req.headers.cookie ?? '')) {
      // Sent to PUBLIC_URL a moment ago and still not on its host: a proxy in
      // front rewrites Host. Redirecting again would loop; the login goes on here.
      if (!this.#rewriteReported) {
        this.#rewriteReported = true;
        req.log.warn(
          { event: 'public_url_host_rewritten', host: seen, publicHost: this.#publicUrl.host },
          `a browser sent to PUBLIC_URL came back with Host ${seen}: a proxy in front rewrites Host; make it pass the browser's Host on (nginx: proxy_set_header Host $host), or send X-Forwarded-Host and list the proxy in TRUST_PROXY (said once)`,
        );
      }
      return undefined;
    }
    const at = req.url.indexOf('?');
    const location = `${this.#base}${path}${at === -1 ? '' : req.url.slice(at)}`;
    req.log.info({ event: 'public_url_redirect', host: seen, path }, 'sent to PUBLIC_URL');
    reply.setCookie(SENT_TO_PUBLIC_URL_COOKIE, '1', {
      path: '/',
      httpOnly: true,
      secure: this.#secure,
      // It carries no authority; None lets it come back with a tile's cross-site POST followed by 307.
      sameSite: this.#secure ? 'none' : 'lax',
      maxAge: SENT_TO_PUBLIC_URL_MAX_AGE_SEC,
    });
    return reply.redirect(location, req.method === 'POST' ? 307 : 302);
  }
}
