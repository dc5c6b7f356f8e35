/**
 * `check-config --ticket-for`: one real one-time ticket asked of CommBox for a
 * named agent, through the bridge's own client, and CommBox's answer explained
 * in its own terms. The ticket is dropped unseen: never printed, never used.
 *
 * CommBox documents its error statuses (400, 401, 404, 429, 500) and a
 * `description`, not which setting gets which status: each status is explained
 * with every case it can stand for, and CommBox's description is quoted, since
 * it may say more than the status.
 */
import { BridgeError, Reasons } from '../errors.js';
import { describeError } from '../net/network-errors.js';
import { hideValues } from '../observability/log.js';
import type { CommboxClient, TicketAttempts, TicketData } from './client.js';

/** The agent a test ticket is asked for: the username and at least one strong identifier of its record. */
export interface TicketAgent {
  readonly username: string;
  readonly email?: string | undefined;
  readonly phone1?: string | undefined;
}

/** What the check needs of the configuration, for the words of its answer. */
export interface TicketCheckSettings {
  readonly brand: string;
  readonly loginUrl: string;
}

/** The outcome: `ok` when CommBox issued the ticket; `lines` say what it proves and what it cannot tell. */
export interface TicketCheck {
  readonly ok: boolean;
  readonly lines: string[];
}

const ALLOW_LIST =
  "this machine's address is not on CommBox's API IP allow-list (Privacy & Security → IP white-list for API access)";
const SSO_BLOCK =
  'CommBox refuses ticket logins while its own SSO is on (Settings → SSO → "Block Ticket Authentication Login when SSO is enabled")';
const KEY = 'COMMBOX_API_KEY is wrong, revoked or rotated (the key is per brand: CommBox → Settings → Accounts)';

/** The cases a status can stand for, as far as CommBox's documentation and settings tell. */
function casesOf(status: number, settings: TicketCheckSettings, agent: TicketAgent): string[] {
  const given = [agent.email === undefined ? '' : 'email', agent.phone1 === undefined ? '' : 'phone'].filter(Boolean);
  const exactly = agent.phone1 === undefined ? 'it exactly' : 'them exactly; a phone needs its country code';
  const record = `the ${given.join(' and ')} given does not match the agent's record (CommBox matches ${exactly})`;
  const noAgent = `no agent of the brand has the username "${agent.username}"`;
  const brand = `COMMBOX_BRAND "${settings.brand}" is not CommBox's name of the brand`;
  switch (status) {
    case 401:
      return [KEY, ALLOW_LIST];
    case 403:
      return [ALLOW_LIST, SSO_BLOCK, 'the API key may not create tickets'];
    case 404:
      return [brand, noAgent, record];
    case 400:
      return [record, SSO_BLOCK, 'a field CommBox does not accept in this form'];
    default:
      return [brand, noAgent, record, ALLOW_LIST, SSO_BLOCK];
  }
}

/** CommBox's own words, when its answer had a description. */
function said(stats: TicketAttempts): string {
  return stats.lastDescription === undefined ? '' : ` CommBox said: ${JSON.stringify(stats.lastDescription)}.`;
}

/**
 * Asks `client` for one ticket for `agent` and explains the answer. `hide` are
 * values never to print (the API key, should CommBox echo it).
 */
export async function checkTicket(
  client: Pick<CommboxClient, 'requestTicket'>,
  settings: TicketCheckSettings,
  agent: TicketAgent,
  hide: readonly string[] = [],
): Promise<TicketCheck> {
  const data: TicketData = {
    brand: settings.brand,
    username: agent.username,
    ...(agent.email === undefined ? {} : { email: agent.email }),
    ...(agent.phone1 === undefined ? {} : { phone1: agent.phone1 }),
    oneTimeUse: true,
  };
  const stats: TicketAttempts = { attempts: 0, lastStatus: undefined };
  try {
    // The ticket is not kept: it is a live one-time session, and this check only needs to know CommBox issued it.
    await client.requestTicket(data, stats);
    return {
      ok: true,
      lines: [
        `CommBox ticket for "${agent.username}": issued (one-time; not shown, not used: it expires unused).`,
        `  proven: COMMBOX_API_KEY, COMMBOX_BRAND "${settings.brand}", this machine's address on CommBox's API allow-list (when it has one), and the agent's record matches the username${agent.email === undefined ? '' : ' and email'}${agent.phone1 === undefined ? '' : ' and phone'}.`,
        `  not proven: that CommBox lets the agent in with it (its SSO setting "Block Ticket Authentication Login when SSO is enabled" may refuse at ${settings.loginUrl}), and the allow-list for the bridge's own address if it leaves from another one.`,
      ],
    };
  } catch (e) {
    // CommBox's words are printed: should they echo the API key, it is hidden.
    const clean = (text: string) => hideValues(text, hide);
    if (stats.lastDescription !== undefined) stats.lastDescription = clean(stats.lastDescription);
    const detail = e instanceof BridgeError && e.detail !== undefined ? clean(e.detail) : describeError(e);
    return { ok: false, lines: explainFailure(e, detail, stats, settings, agent) };
  }
}

function explainFailure(
  e: unknown,
  detail: string,
  stats: TicketAttempts,
  settings: TicketCheckSettings,
  agent: TicketAgent,
) {
  const head = `CommBox ticket for "${agent.username}": REFUSED`;
  const status = stats.lastStatus;
  const reason = e instanceof BridgeError ? e.reason : undefined;
  if (reason === Reasons.commboxTimeout) return [`${head}: CommBox did not answer within COMMBOX_TIMEOUT_MS.`];
  if (reason === Reasons.commboxBadResponse)
    return [`${head}: CommBox answered 2xx without a usable ticket (${detail}).`];
  if (status === undefined || reason === undefined) return [`${head}: ${detail}.`];
  if (status === 429)
    return [
      `${head}: CommBox is throttling (HTTP 429 after ${stats.attempts} attempt(s)).${said(stats)}`,
      '  Nothing about the setup can be told from it: try again later.',
    ];
  if (status >= 500)
    return [
      `${head}: CommBox failed (HTTP ${status} after ${stats.attempts} attempt(s)).${said(stats)}`,
      '  Nothing about the setup can be told from it: try again later, or ask CommBox.',
    ];
  const cases = casesOf(status, settings, agent);
  const documented = [400, 401, 404].includes(status) ? '' : ' (a status CommBox does not document)';
  return [
    `${head}: CommBox answered HTTP ${status}${documented}.${said(stats)}`,
    `  This status can mean${cases.length > 1 ? ' any of' : ''}:`,
    ...cases.map((c) => `  - ${c}`),
    ...(cases.length > 1 ? ["  CommBox's answer does not say which; its description, when there is one, may."] : []),
  ];
}
