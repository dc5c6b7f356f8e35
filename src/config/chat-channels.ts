/**
 * Customer chat channel IDs as CommBox shows them: the form of one, and the list
 * of those that may be opened (`COMMBOX_CHAT_CHANNELS`).
 */
import { list } from './parsers.js';
import type { Parser } from './variable.js';

/**
 * A chat channel ID as CommBox shows it (percent-encoded, e.g.
 * `nex9tHPKdBkD_fAfbuUPABg%3d%3d`), decoded for comparison; undefined when it is
 * not one: only URL-safe characters and well-formed `%xx` escapes.
 */
export function decodeChannel(raw: string): string | undefined {
  if (raw.length === 0 || raw.length > 256 || !/^(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+$/.test(raw)) return undefined;
  try {
    const decoded = decodeURIComponent(raw);
    // Control characters, path and query separators: a channel ID has none.
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u001f/\\?#]/.test(decoded) ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/** `*` (any channel, explicitly) or the channel IDs, decoded. */
export type ChatChannels = { readonly any: true } | { readonly any: false; readonly channels: readonly string[] };

export const chatChannels: Parser<ChatChannels | undefined> = (raw, ctx) => {
  const entries = list(raw, ctx);
  if (entries.length === 0) return undefined;
  if (entries.includes('*')) {
    if (entries.length > 1) ctx.bad('is either * (any channel) or a list of channel IDs, not both');
    return { any: true };
  }
  const channels: string[] = [];
  for (const c of entries) {
    const decoded = decodeChannel(c);
    if (decoded === undefined) ctx.bad(`"${c}" is not a channel ID as CommBox shows it`);
    else channels.push(decoded);
  }
  return { any: false, channels };
};
