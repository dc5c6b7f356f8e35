/**
 * `GET /`: the landing page with the "Open CommBox" button.
 */
import type { FastifyInstance } from 'fastify';
import type { Bridge } from '../bridge.js';
import { renderLanding } from '../web/pages.js';

export async function pageRoutes(app: FastifyInstance, { bridge }: { bridge: Bridge }): Promise<void> {
  const landing = renderLanding(bridge.pages);
  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(landing));
}
