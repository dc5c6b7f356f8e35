/**
 * `GET /`: the landing page with the "Open CommBox" button.
 */
import type { FastifyInstance } from 'fastify';
import type { Language } from '../config/page-catalogue.js';
import { pageLanguage } from '../web/language.js';
import { renderLanding, type PageContext } from '../web/pages.js';

export async function pageRoutes(app: FastifyInstance, { pageContext }: { pageContext: PageContext }): Promise<void> {
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
}
