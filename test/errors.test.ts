/**
 * The reason registry and the check codes: every reason has its status, a
 * refusal takes it from there, only the reasons whose status depends on the
 * answer give their own, and a check code outside the list does not compile
 * (the `@ts-expect-error` lines fail `npm run typecheck` if it would).
 */
import t from 'tap';
import {
  BridgeError,
  CHECKS,
  isCheck,
  REASON_STATUS,
  Reasons,
  STATUS_OVERRIDE_REASONS,
  type Check,
  type Reason,
} from '../src/errors.js';
import { LoginDeadline, type LoginStep } from '../src/net/deadline.js';

t.test('every reason has an HTTP status, and a refusal answers with it', async (t) => {
  t.same(Object.keys(REASON_STATUS).sort(), Object.values(Reasons).sort());
  for (const reason of Object.values(Reasons)) {
    const status = REASON_STATUS[reason];
    t.ok(status >= 400 && status < 600, `${reason}: ${status}`);
    t.equal(new BridgeError(reason).status, status, reason);
    t.equal(new BridgeError(reason, { detail: 'd' }).status, status, reason);
  }
});

t.test('the statuses the refusals answered with before the registry', async (t) => {
  t.match(REASON_STATUS, {
    login_cookie_missing: 400,
    state_mismatch: 400,
    iss_mismatch: 400,
    idp_error: 502,
    idp_unavailable: 503,
    id_token_invalid: 502,
    auth_too_old: 403,
    group_not_allowed: 403,
    commbox_unauthorized: 502,
    commbox_timeout: 504,
    login_timeout: 504,
    rate_limited: 429,
    not_found: 404,
    bad_request: 400,
    internal_error: 500,
  });
});

t.test('idp_error and bad_request may give their own status; others may not', async (t) => {
  t.same([...STATUS_OVERRIDE_REASONS].sort(), ['bad_request', 'idp_error']);
  t.equal(new BridgeError(Reasons.idpError, { status: 403 }).status, 403, 'access_denied');
  t.equal(new BridgeError(Reasons.idpError, {}).status, 502);
  t.equal(new BridgeError(Reasons.badRequest, { status: 414, detail: 'long' }).status, 414);
  // @ts-expect-error a reason with one status takes no status option
  void new BridgeError(Reasons.groupNotAllowed, { status: 401 });
  const computed = Reasons.idpError as Reason;
  // @ts-expect-error nor does a reason the compiler cannot tell is one that may
  void new BridgeError(computed, { status: 403 });
});

t.test('a refusal keeps what it was given', async (t) => {
  const cause = new Error('underneath');
  const e = new BridgeError(Reasons.idTokenInvalid, {
    check: 'id_token.aud',
    detail: 'for the log',
    userDetail: { key: 'detail.idp_answered', values: { error: 'access_denied' } },
    cause,
  });
  t.match(e, {
    name: 'BridgeError',
    reason: 'id_token_invalid',
    status: 502,
    check: 'id_token.aud',
    detail: 'for the log',
    userDetail: { key: 'detail.idp_answered', values: { error: 'access_denied' } },
    message: 'for the log',
    cause,
  });
  t.equal(new BridgeError(Reasons.notFound).message, 'not_found', 'the reason as message without a detail');
  t.notOk('cause' in new BridgeError(Reasons.notFound), 'no cause property without a cause');
});

t.test('check codes: a list of distinct family.name strings, typed', async (t) => {
  t.equal(new Set(CHECKS).size, CHECKS.length, 'no code twice');
  for (const check of CHECKS) t.match(check, /^[a-z_]+(\.[a-z_]+)?$/, check);
  t.ok(isCheck('id_token.aud'));
  t.notOk(isCheck('id_token.audience'));
  t.notOk(isCheck('toString'), 'not a property of some object');
  // @ts-expect-error a misspelt check code does not compile
  void new BridgeError(Reasons.idTokenInvalid, { check: 'id_token.audience' });
  // @ts-expect-error nor does a string the compiler cannot tell is a check code
  void new BridgeError(Reasons.idTokenInvalid, { check: String('id_token.aud') });
});

t.test("every step of the login's deadline has its check code", async (t) => {
  const steps: Record<LoginStep, true> = {
    callback: true,
    login_cookie: true,
    discovery: true,
    token: true,
    signature: true,
    access_token: true,
    userinfo: true,
    graph: true,
    ticket: true,
  };
  for (const step of Object.keys(steps) as LoginStep[]) {
    const check: Check = `login_timeout.${step}`;
    t.ok(isCheck(check), check);
  }
  const deadline = new LoginDeadline(1);
  deadline.enter('graph');
  await new Promise<void>((resolve) => deadline.signal.addEventListener('abort', () => resolve(), { once: true }));
  t.match(deadline.signal.reason, { reason: 'login_timeout', status: 504, check: 'login_timeout.graph' });
  deadline.clear();
});
