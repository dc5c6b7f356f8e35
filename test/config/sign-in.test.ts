/**
 * The variables of the authorization request: OIDC_PROMPT, OIDC_MAX_AGE,
 * OIDC_AUTH_PARAMS, OIDC_PASS_THROUGH_PARAMS and the `hd` that
 * ALLOWED_HOSTED_DOMAINS sends: what may be set, every problem named, and what
 * an extra IdP inherits.
 */
import t from 'tap';
import { parseConfig } from '../../src/config/parse.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';

t.test('configuration: what may be set, and every problem named', async (t) => {
  const c = parseConfig({
    ...TWO_IDP_BASE,
    OIDC_PROMPT: 'select_account consent',
    OIDC_MAX_AGE: '28800',
    OIDC_AUTH_PARAMS: 'resource=urn%3Amicrosoft%3Auserinfo&domain_hint=example.com',
    OIDC_PASS_THROUGH_PARAMS: 'login_hint, ui_locales',
    ALLOWED_HOSTED_DOMAINS: 'Example.com',
  });
  const o = c.idps[0]!.oidc;
  t.equal(o.prompt, 'select_account consent');
  t.equal(o.maxAge, 28800);
  t.same(o.authParams, [
    ['resource', 'urn:microsoft:userinfo'],
    ['domain_hint', 'example.com'],
  ]);
  t.same(o.passThroughParams, ['login_hint', 'ui_locales']);
  t.equal(o.hostedDomain, 'example.com', 'one hosted domain is sent as hd');
  t.same(c.idps[0]!.access.allowedHostedDomains, ['example.com']);
  t.equal(
    parseConfig({ ...TWO_IDP_BASE, ALLOWED_HOSTED_DOMAINS: 'a.example,b.example' }).idps[0]!.oidc.hostedDomain,
    undefined,
    'two: no hd',
  );
  const defaults = parseConfig(TWO_IDP_BASE).idps[0]!.oidc;
  t.same(
    [defaults.prompt, defaults.maxAge, defaults.authParams, defaults.passThroughParams],
    [undefined, undefined, [], ['login_hint', 'domain_hint']],
  );
  t.same(
    parseConfig({ ...TWO_IDP_BASE, OIDC_PASS_THROUGH_PARAMS: '' }).idps[0]!.oidc.passThroughParams,
    [],
    'set but empty: none',
  );

  const problems = configProblems({
    ...TWO_IDP_BASE,
    OIDC_PROMPT: 'none login',
    OIDC_MAX_AGE: '-1',
    OIDC_AUTH_PARAMS: 'state=x',
    OIDC_PASS_THROUGH_PARAMS: 'login_hint,nonce',
  });
  t.match(problems['OIDC_PROMPT'], /"none" cannot be combined/);
  t.match(problems['OIDC_MAX_AGE'], /whole number/);
  t.match(problems['OIDC_AUTH_PARAMS'], /"state" is a protocol parameter/);
  t.match(problems['OIDC_PASS_THROUGH_PARAMS'], /"nonce" is a protocol parameter/);
  t.match(
    configProblems({ ...TWO_IDP_BASE, OIDC_PASS_THROUGH_PARAMS: 'max_age' })['OIDC_PASS_THROUGH_PARAMS'],
    /"max_age" has its own variable/,
  );
  t.match(
    configProblems({ ...TWO_IDP_BASE, OIDC_PASS_THROUGH_PARAMS: 'bad name' })['OIDC_PASS_THROUGH_PARAMS'],
    /not a parameter name/,
  );
  t.match(
    configProblems({ ...TWO_IDP_BASE, OIDC_AUTH_PARAMS: 'prompt=login' })['OIDC_AUTH_PARAMS'],
    /"prompt" has its own variable, OIDC_PROMPT/,
  );
  t.match(
    configProblems({ ...TWO_IDP_BASE, OIDC_AUTH_PARAMS: 'hd=example.com' })['OIDC_AUTH_PARAMS'],
    /ALLOWED_HOSTED_DOMAINS/,
  );
  t.match(configProblems({ ...TWO_IDP_BASE, OIDC_AUTH_PARAMS: 'a=1&a=2' })['OIDC_AUTH_PARAMS'], /names "a" twice/);
  t.match(
    configProblems({ ...TWO_IDP_BASE, OIDC_PROMPT: 'sometimes' })['OIDC_PROMPT'],
    /"sometimes" is not a prompt value/,
  );
  for (const name of [
    'client_id',
    'redirect_uri',
    'response_type',
    'response_mode',
    'scope',
    'code_challenge',
    'code_challenge_method',
    'request',
    'request_uri',
    'claims',
  ]) {
    t.match(
      configProblems({ ...TWO_IDP_BASE, OIDC_PASS_THROUGH_PARAMS: name })['OIDC_PASS_THROUGH_PARAMS'],
      /protocol parameter/,
      name,
    );
  }
});

t.test('extra IdPs inherit OIDC_PROMPT and OIDC_MAX_AGE, never the other settings', async (t) => {
  const env = {
    ...TWO_IDP_BASE,
    OIDC_IDPS: 'acquired',
    ALLOWED_EMAIL_DOMAINS: 'a.example',
    IDP_ACQUIRED_ISSUER: 'https://b.example.com',
    IDP_ACQUIRED_CLIENT_ID: 'b',
    IDP_ACQUIRED_CLIENT_SECRET: 'sb',
    IDP_ACQUIRED_ALLOWED_EMAIL_DOMAINS: 'b.example',
    OIDC_PROMPT: 'login',
    OIDC_MAX_AGE: '600',
    OIDC_AUTH_PARAMS: 'domain_hint=a.example',
    OIDC_PASS_THROUGH_PARAMS: 'ui_locales',
    ALLOWED_HOSTED_DOMAINS: 'a.example',
  };
  const extra = parseConfig(env).idps[1]!;
  t.same([extra.oidc.prompt, extra.oidc.maxAge], ['login', 600], 'inherited');
  t.same(
    [extra.oidc.authParams, extra.oidc.passThroughParams, extra.oidc.hostedDomain],
    [[], ['login_hint', 'domain_hint'], undefined],
    'not inherited',
  );
  t.same(extra.access.allowedHostedDomains, []);
  const own = parseConfig({
    ...env,
    IDP_ACQUIRED_PROMPT: 'select_account',
    IDP_ACQUIRED_MAX_AGE: '60',
    IDP_ACQUIRED_AUTH_PARAMS: 'resource=r',
  }).idps[1]!;
  t.same([own.oidc.prompt, own.oidc.maxAge, own.oidc.authParams], ['select_account', 60, [['resource', 'r']]]);
  t.match(
    configProblems({ ...env, IDP_ACQUIRED_AUTH_PARAMS: 'nonce=1' })['IDP_ACQUIRED_AUTH_PARAMS'],
    /protocol parameter/,
  );
});
