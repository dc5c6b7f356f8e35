/**
 * `GET /chat/:channel`: customer chat access. A signed-in employee opens a
 * CommBox chat channel without identifying again: the same sign-in, then a chat
 * ticket and a redirect to `{COMMBOX_CHAT_URL}/{channel}?ta=`.
 */
import type { FastifyInstance } from 'fastify';
import { CHAT_PREFIX, resolveChatChannel } from '../commbox/chat.js';
import type { BridgeConfig } from '../config/parse.js';
import { beginLogin, type LoginStarter } from './login.js';
import { limited, type RateLimit } from './rate-limit.js';

export async function chatRoutes(
  app: FastifyInstance,
  { starter, commbox, rateLimit }: { starter: LoginStarter; commbox: BridgeConfig['commbox']; rateLimit: RateLimit },
): Promise<void> {
  app.get('/chat/:channel', limited(rateLimit), (req, reply) => {
    // The raw path segment: the channel is passed on exactly as given, never
    // decoded and encoded again.
    const channel = resolveChatChannel(commbox, req.url.split('?')[0]!);
    const path = `${CHAT_PREFIX}${channel}`;
    return beginLogin(starter, req, reply, { entry: 'chat', path, target: path });
  });
}
