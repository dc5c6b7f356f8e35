/**
 * `check-config --ticket-for`: one real ticket asked of the CommBox sandbox
 * through the bridge's client, each answer explained in CommBox's terms, and the
 * ticket never in the output.
 */
import t, { type Test } from 'tap';
import { CommboxClient } from '../../src/commbox/client.js';
import { BridgeError, Reasons } from '../../src/errors.js';
import { checkTicket, type TicketAgent } from '../../src/commbox/ticket-check.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../dev/commbox-sandbox.js';
import { freePort } from '../helpers/stack.js';

const ALICE: TicketAgent = { username: 'alice', email: 'alice@example.com' };
const AGENTS = [{ username: 'alice', email: 'alice@example.com', phone1: '+442501234567' }];

/** A sandbox of brand "acme" with alice, and the check against it (no retries: one request, one answer). */
async function sandboxCheck(t: Test, opts: SandboxOptions = {}) {
  const sandbox = await startSandbox({ brand: 'acme', agents: AGENTS, ...opts });
  t.teardown(() => sandbox.close());
  const run = async (
    agent: TicketAgent = ALICE,
    over: { brand?: string; apiKey?: string; apiUrl?: string; maxRetries?: number } = {},
  ) => {
    const client = new CommboxClient({
      apiUrl: over.apiUrl ?? sandbox.url,
      apiKey: over.apiKey ?? sandbox.apiKey,
      timeoutMs: 5000,
      maxRetries: over.maxRetries ?? 0,
    });
    try {
      const r = await checkTicket(client, { brand: over.brand ?? 'acme', loginUrl: sandbox.loginUrl }, agent, [
        over.apiKey ?? sandbox.apiKey,
      ]);
      return { ok: r.ok, out: r.lines.join('\n') };
    } finally {
      await client.close();
    }
  };
  return { sandbox, run };
}

/** No ticket the sandbox issued appears in `out`. */
function noTicketIn(t: Test, sandbox: Sandbox, out: string) {
  for (const r of sandbox.requests)
    if (r.ticket !== undefined) t.notOk(out.includes(r.ticket), 'the ticket is not shown');
}

t.test('an issued ticket: what it proves and what it cannot tell; the ticket is never shown', async (t) => {
  const { sandbox, run } = await sandboxCheck(t);
  const r = await run({ username: 'alice', email: 'alice@example.com', phone1: '+442501234567' });
  t.ok(r.ok, r.out);
  t.equal(sandbox.requests.length, 1, 'one ticket asked');
  t.same(sandbox.requests[0]!.problems, [], 'a request the contract accepts');
  t.same(sandbox.requests[0]!.body, {
    data: { brand: 'acme', username: 'alice', email: 'alice@example.com', phone1: '+442501234567', oneTimeUse: true },
  });
  t.ok(sandbox.requests[0]!.ticket, 'CommBox issued one');
  noTicketIn(t, sandbox, r.out);
  t.match(r.out, /CommBox ticket for "alice": issued \(one-time; not shown, not used/);
  t.match(r.out, /proven: COMMBOX_API_KEY, COMMBOX_BRAND "acme", this machine's address on CommBox's API allow-list/);
  t.match(r.out, /matches the username and email and phone/);
  t.match(r.out, /not proven: .*Block Ticket Authentication Login when SSO is enabled/);
  t.equal(sandbox.arrivals.length, 0, 'the ticket is not used');
});

t.test('refusals explained in CommBox terms, each with what the status can mean', async (t) => {
  await t.test('a wrong API key: 401', async (t) => {
    const { sandbox, run } = await sandboxCheck(t);
    const r = await run(ALICE, { apiKey: 'not-the-key-0123456789' });
    t.notOk(r.ok);
    t.match(r.out, /REFUSED: CommBox answered HTTP 401\. CommBox said: "Unauthorized"\./);
    t.match(r.out, /- COMMBOX_API_KEY is wrong, revoked or rotated/);
    t.match(r.out, /- this machine's address is not on CommBox's API IP allow-list/);
    t.match(r.out, /CommBox's answer does not say which/);
    t.equal(sandbox.requests.length, 1);
  });
  await t.test('a brand CommBox does not know: 404', async (t) => {
    const { run } = await sandboxCheck(t);
    const r = await run(ALICE, { brand: 'acme-typo' });
    t.notOk(r.ok);
    t.match(r.out, /HTTP 404\. CommBox said: "Not Found"/);
    t.match(r.out, /- COMMBOX_BRAND "acme-typo" is not CommBox's name of the brand/);
    t.match(r.out, /- no agent of the brand has the username "alice"/);
  });
  await t.test('no such agent, or a record that does not match: 404', async (t) => {
    const { sandbox, run } = await sandboxCheck(t);
    const unknown = await run({ username: 'mallory', email: 'mallory@example.com' });
    t.notOk(unknown.ok);
    t.match(unknown.out, /- no agent of the brand has the username "mallory"/);
    const other = await run({ username: 'alice', phone1: '442501234567' });
    t.notOk(other.ok);
    t.match(
      other.out,
      /- the phone given does not match the agent's record \(CommBox matches them exactly; a phone needs its country code\)/,
    );
    t.equal(sandbox.requests.length, 2);
  });
  await t.test("this machine's address not on the API allow-list", async (t) => {
    const { sandbox, run } = await sandboxCheck(t, { apiAllowList: ['127.0.0.2'] });
    const r = await run();
    t.notOk(r.ok);
    t.match(r.out, /HTTP 401[\s\S]*- this machine's address is not on CommBox's API IP allow-list/);
    t.notOk(sandbox.requests[0]!.ticket, 'none issued');
    const allowed = await sandboxCheck(t, { apiAllowList: ['127.0.0.1'] });
    t.ok((await allowed.run()).ok, 'on the list: issued');
  });
  await t.test('an allow-list refusal CommBox describes, with a status it does not document', async (t) => {
    const { run } = await sandboxCheck(t, {
      apiAllowList: ['127.0.0.2'],
      refusals: { ipNotAllowed: { status: 403, description: 'IP 127.0.0.1 is not allowed' } },
    });
    const r = await run();
    t.match(
      r.out,
      /HTTP 403 \(a status CommBox does not document\)\. CommBox said: "IP 127\.0\.0\.1 is not allowed"\./,
    );
    t.match(r.out, /- this machine's address is not on CommBox's API IP allow-list/);
    t.match(r.out, /- CommBox refuses ticket logins while its own SSO is on/);
  });
  await t.test("ticket logins blocked by CommBox's SSO setting", async (t) => {
    const { sandbox, run } = await sandboxCheck(t);
    sandbox.ssoBlocksTickets = true;
    const r = await run();
    t.notOk(r.ok);
    t.match(r.out, /HTTP 400\. CommBox said: "Bad Request"\./);
    t.match(
      r.out,
      /- CommBox refuses ticket logins while its own SSO is on \(Settings → SSO → "Block Ticket Authentication Login when SSO is enabled"\)/,
    );
    t.match(r.out, /- the email given does not match the agent's record/);
  });
  await t.test('throttled: 429', async (t) => {
    const { sandbox, run } = await sandboxCheck(t);
    sandbox.fault = '429';
    const r = await run();
    t.notOk(r.ok);
    t.match(
      r.out,
      /CommBox is throttling \(HTTP 429 after 1 attempt\(s\)\)\. CommBox said: "Too Many Requests"\.\n {2}Nothing about the setup can be told from it/,
    );
  });
  await t.test('CommBox failing: 5xx, and an HTML page', async (t) => {
    const { sandbox, run } = await sandboxCheck(t);
    sandbox.fault = '500';
    t.match(
      (await run()).out,
      /CommBox failed \(HTTP 500 after 1 attempt\(s\)\)\. CommBox said: "Internal Server Error"\./,
    );
    sandbox.fault = 'html';
    const html = await run();
    t.match(html.out, /CommBox failed \(HTTP 502 after 1 attempt\(s\)\)\.\n/);
    t.notMatch(html.out, /CommBox said/, 'no description to quote');
  });
  await t.test('a 2xx without a ticket, no answer in time, and no connection', async (t) => {
    const { sandbox, run } = await sandboxCheck(t);
    sandbox.fault = 'no-token';
    t.match(
      (await run()).out,
      /REFUSED: CommBox answered 2xx without a usable ticket \(CommBox answered 2xx without data\.encpryptedString\)/,
    );
    const port = await freePort();
    const down = await run(ALICE, { apiUrl: `http://127.0.0.1:${port}` });
    t.notOk(down.ok);
    t.match(down.out, /REFUSED: CommBox could not be reached: ECONNREFUSED/);
  });
});

t.test("CommBox's description is quoted bounded, and never with the API key", async (t) => {
  const { sandbox, run } = await sandboxCheck(t, {
    refusals: { brand: { status: 404, description: `brand unknown ${'x'.repeat(1000)}` } },
  });
  const long = await run(ALICE, { brand: 'other' });
  const quoted = /CommBox said: "([^"]*)"/.exec(long.out)?.[1] ?? '';
  t.ok(quoted.startsWith('brand unknown'), quoted.slice(0, 20));
  t.ok(quoted.length <= 200, `bounded (${quoted.length} characters)`);
  const echo = await sandboxCheck(t, {
    refusals: { brand: { status: 404, description: `no brand for key ${sandbox.apiKey}` } },
  });
  const r = await echo.run(ALICE, { brand: 'other' });
  t.notMatch(r.out, echo.sandbox.apiKey);
  t.match(r.out, /no brand for key \[hidden\]/);
  // The key echoed across the bound: the part before the cut is no key any later redaction knows.
  const key = echo.sandbox.apiKey;
  const across = await sandboxCheck(t, {
    refusals: { brand: { status: 404, description: `${'y'.repeat(195)}${key}` } },
  });
  const cut = await across.run(ALICE, { brand: 'other' });
  t.notMatch(cut.out, key.slice(0, 5), 'no part of the key before the cut');
  t.match(cut.out, /y{195}\[hid/);
});

t.test(
  'second lock: a client that passes the API key through unhidden still has it hidden in the output',
  async (t) => {
    // The CommBox client hides the key in CommBox's description before it cuts it (test above); here that first
    // lock is off: a stand-in client echoes the key in the description and in the refusal's detail.
    const key = 'k3y-0123456789abcdef0123456789';
    const echoing = {
      requestTicket: async (
        _data: unknown,
        stats: { attempts: number; lastStatus?: number; lastDescription?: string },
      ) => {
        stats.attempts = 1;
        stats.lastStatus = 404;
        stats.lastDescription = `no brand for key ${key}`;
        throw new BridgeError(Reasons.commboxRejected, { detail: `CommBox answered 404 for key ${key}` });
      },
    } as unknown as Pick<CommboxClient, 'requestTicket'>;
    const r = await checkTicket(echoing, { brand: 'other', loginUrl: 'https://app.commbox.test/login' }, ALICE, [key]);
    t.equal(r.ok, false);
    const out = r.lines.join('\n');
    t.notOk(out.includes(key), 'the key appears nowhere');
    t.match(out, /no brand for key \[hidden\]/);
  },
);
