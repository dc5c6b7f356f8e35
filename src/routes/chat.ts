/**
 * `GET /chat/:channel`: customer chat access. A signed-in employee opens a
 * CommBox chat channel without identifying again: the same sign-in, then a chat
 * ticket and a redirect to `{COMMBOX_CHAT_URL}/{channel}?ta=`.
 */
import type { FastifyInstance } from 'fastify';
import { limited, type Bridge, type RateLimit } from '../bridge.js';
import { decodeChannel } from '../config.js';
import { BridgeError, Reasons } from '../errors.js';
import { startLogin } from './login.js';

const CHAT_PREFIX = '/chat/';

/**
 * Checks a chat target path (`/chat/<channel as CommBox shows it>`) and returns
 * the channel exactly as given, or throws the refusal.
 */
export function resolveChatChannel(bridge: Bridge, path: string): string {
  const { chatUrl, chatChannels, chatAnyChannel } = bridge.config.commbox;
  if (!chatUrl) throw new BridgeError(Reasons.notFound, 404, { detail: 'customer chat access is off (COMMBOX_CHAT_URL is not set)' });
  const raw = path.slice(CHAT_PREFIX.length);
  const decoded = decodeChannel(raw);
  if (decoded === undefined) throw new BridgeError(Reasons.badRequest, 400, { detail: 'the chat channel ID is not in the form CommBox shows' });
  if (!chatAnyChannel && !chatChannels.includes(decoded)) {
    throw new BridgeError(Reasons.chatChannelNotAllowed, 403, { detail: `chat channel ${JSON.stringify(raw)} is not in COMMBOX_CHAT_CHANNELS` });
  }
  return raw;
}

/** True for paths of the chat entry point. */
export const isChatPath = (path: string) => path.startsWith(CHAT_PREFIX);

export async function chatRoutes(app: FastifyInstance, { bridge, rateLimit }: { bridge: Bridge; rateLimit: RateLimit }): Promise<void> {
  app.get('/chat/:channel', limited(rateLimit), (req, reply) => {
    // The raw path segment: the channel is passed on exactly as given, never
    // decoded and encoded again.
    const path = req.url.split('?')[0]!;
    const channel = resolveChatChannel(bridge, path);
    return startLogin(bridge, reply, { entry: 'chat', target: `${CHAT_PREFIX}${channel}` });
  });
}
