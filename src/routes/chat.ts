/**
 * `GET /chat/:channel`: customer chat access. A signed-in employee opens a
 * CommBox chat channel without identifying again: the same sign-in, then a chat
 * ticket and a redirect to `{COMMBOX_CHAT_URL}/{channel}?ta=`.
 */
import type { FastifyInstance } from 'fastify';
import { limited, type Bridge, type RateLimit } from '../bridge.js';
import { CHAT_PREFIX, resolveChatChannel } from '../commbox/chat.js';
import { beginLogin } from './login.js';

export async function chatRoutes(
  app: FastifyInstance,
  { bridge, rateLimit }: { bridge: Bridge; rateLimit: RateLimit },
): Promise<void> {
  app.get('/chat/:channel', limited(rateLimit), (req, reply) => {
    // The raw path segment: the channel is passed on exactly as given, never
    // decoded and encoded again.
    const channel = resolveChatChannel(bridge.config.commbox, req.url.split('?')[0]!);
    return beginLogin(bridge, req, reply, { entry: 'chat', target: `${CHAT_PREFIX}${channel}` });
  });
}
