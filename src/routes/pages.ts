/**
 * `GET /`: the landing page with the "Open CommBox" button. `GET /logged-out`: the page companies set as
 * CommBox's sign-out URL, with "Open CommBox again" and, for each IdP set to `OIDC_LOGOUT=end_session`, a
 * link to sign out of it too (RP-initiated logout; the IdP sends the browser back to `?done=1`).
 */
import type { FastifyInstance } from 'fastify';
import type { Language } from '../config/page-catalogue.js';
import type { Idp } from '../login/idp.js';
import { pageLanguage } from '../web/language.js';
import { renderLanding, renderLoggedOut, type IdpSignOut, type PageContext } from '../web/pages.js';

/** The path of the sign-out page, and the query the IdPs send the browser back with. */
export const LOGGED_OUT_PATH = '/logged-out';
export const LOGGED_OUT_DONE_QUERY = 'done=1';

export interface PageRoutesOptions {
  readonly pageContext: PageContext;
  /** The IdPs, for their end-session URLs. */
  readonly idps: ReadonlyMap<string, Idp>;
  /** `<PUBLIC_URL>/logged-out?done=1`, registered at each IdP as a post-logout redirect URI. */
  readonly postLogoutRedirectUri: string;
}

export async function pageRoutes(
  app: FastifyInstance,
  { pageContext, idps, postLogoutRedirectUri }: PageRoutesOptions,
): Promise<void> {
  // Rendered once per language, on first use.
  const landing = new Map<Language, string>();
  app.get('/', (req, reply) => {
    const lang = pageLanguage(req.headers['accept-language'], pageContext);
    let page = landing.get(lang);
    if (page === undefined) landing.set(lang, (page = renderLanding(pageContext, lang)));
    return reply
      .header('vary', 'Accept-Language')
      .header('content-language', lang)
      .type('text/html; charset=utf-8')
      .send(page);
  });

  app.get(LOGGED_OUT_PATH, (req, reply) => {
    const lang = pageLanguage(req.headers['accept-language'], pageContext);
    const back = (req.query as Record<string, unknown>)['done'] === '1';
    // Only IdPs discovered with a checked end_session_endpoint (OIDC_LOGOUT=end_session): one whose discovery
    // has not succeeded gets no link, and readiness says why (discovery refuses an IdP without the endpoint).
    const signOuts: IdpSignOut[] = [];
    for (const idp of idps.values()) {
      const url = idp.oidc.endSessionUrl(postLogoutRedirectUri);
      if (url !== undefined) signOuts.push({ idp: idp.config.name, url });
    }
    return reply
      .header('vary', 'Accept-Language')
      .header('content-language', lang)
      .type('text/html; charset=utf-8')
      .send(renderLoggedOut(pageContext, lang, signOuts, back));
  });
}
