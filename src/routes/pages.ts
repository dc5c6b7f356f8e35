/**
 * `GET /`: the landing page with the "Open CommBox" button.
 */
import type { FastifyInstance } from 'fastify';
import { renderLanding, type PageContext } from '../web/pages.js';

export async function pageRoutes(app: FastifyInstance, { pageContext }: { pageContext: PageContext }): Promise<void> {
  const landing = renderLanding(pageContext);
  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(landing));
}
