/** The variables of the "CommBox" section of docs/configuration.md: the ticket API. */
import { integer } from '../parsers.js';
import { httpsUrl } from '../urls.js';
import { variable } from '../variable.js';

export const COMMBOX_VARIABLES = {
  COMMBOX_API_URL: variable({
    group: 'CommBox',
    scope: 'global',
    default: 'https://api.commbox.io',
    parse: httpsUrl({ fallback: 'https://api.commbox.io' }),
    doc: 'The CommBox API base URL (it can be brand-specific, e.g. `https://api.wispp.com`).',
  }),
  COMMBOX_TIMEOUT_MS: variable({
    group: 'CommBox',
    scope: 'global',
    default: '5000',
    parse: integer(5000, 100, 60_000),
    doc: 'Total deadline of the whole ticket step, retries included.',
  }),
} as const;
