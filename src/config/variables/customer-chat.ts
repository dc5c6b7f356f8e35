/** The variables of the "Customer chat" section of docs/configuration.md: `/chat/<channel>`. */
import { chatChannels } from '../chat-channels.js';
import { boolean } from '../parsers.js';
import { httpsUrlAsWritten } from '../urls.js';
import { variable } from '../variable.js';

export const CUSTOMER_CHAT_VARIABLES = {
  COMMBOX_CHAT_URL: variable({
    group: 'Customer chat',
    scope: 'global',
    default: 'unset: chat off',
    example: 'https://apps.commbox.io/chat',
    parse: httpsUrlAsWritten(),
    doc: '`GET /chat/<channel>` ends at `COMMBOX_CHAT_URL/<channel>?ta=`.',
  }),
  COMMBOX_CHAT_CHANNELS: variable({
    group: 'Customer chat',
    scope: 'global',
    required: 'with COMMBOX_CHAT_URL',
    example: 'nex9tHPKdBkD_fAfbuUPABg%3d%3d',
    parse: chatChannels,
    doc: 'Comma list of the chat channels that may be opened, as CommBox shows them, or `*` for any channel, explicitly.',
  }),
  COMMBOX_CHAT_OVERRIDE_USER_INFO: variable({
    group: 'Customer chat',
    scope: 'global',
    default: 'true',
    parse: boolean(true),
    doc: '`overrideUserInfo` of chat tickets: update the customer record with the names and phone sent.',
  }),
} as const;
