/**
 * Customer chat access: channel IDs as CommBox shows them, and whether a chat
 * route may be opened.
 */
import { decodeChannel } from '../config/chat-channels.js';
import type { BridgeConfig } from '../config/parse.js';
import { BridgeError, Reasons } from '../errors.js';

/** The path prefix of the chat entry point. */
export const CHAT_PREFIX = '/chat/';

/**
 * Checks a chat target path (`/chat/<channel as CommBox shows it>`) and returns
 * the channel exactly as given, or throws the refusal.
 */
export function resolveChatChannel(commbox: BridgeConfig['commbox'], path: string): string {
  const { chatUrl, chatChannels, chatAnyChannel } = commbox;
  if (!chatUrl)
    throw new BridgeError(Reasons.notFound, {
      detail: 'customer chat access is off (COMMBOX_CHAT_URL is not set)',
    });
  const raw = path.slice(CHAT_PREFIX.length);
  const decoded = decodeChannel(raw);
  if (decoded === undefined)
    throw new BridgeError(Reasons.badRequest, { detail: 'the chat channel ID is not in the form CommBox shows' });
  if (!chatAnyChannel && !chatChannels.includes(decoded)) {
    throw new BridgeError(Reasons.chatChannelNotAllowed, {
      detail: `chat channel ${JSON.stringify(raw)} is not in COMMBOX_CHAT_CHANNELS`,
    });
  }
  return raw;
}

/** True for paths of the chat entry point. */
export const isChatPath = (path: string) => path.startsWith(CHAT_PREFIX);
