/**
 * Unknown variables stop the start-up with the name most likely meant; other programs' variables and
 * Kubernetes service links are left alone (src/config/unknown.ts).
 */
import t from 'tap';
import { closestName, isServiceLink, unknownVariables } from '../../src/config/unknown.js';
import { unruledProblems, WITH_ENTRA } from '../helpers/config.js';

const problems = unruledProblems;

t.test('unknown variables stop the start-up, with the name most likely meant', async (t) => {
  const p = problems({
    ALLOWED_GROUP: 'commbox-agents',
    OIDC_CLIENT_SECERT: 'x',
    COMMBOX_BRAND_FILE: '/run/secrets/brand',
    oidc_issuer: 'https://idp.example.com',
    RATE_LIMIT: '10',
    IDP_ACQUIRED_ISSUER: 'https://acquired.example.com',
    OIDC_SOMETHING_ELSE_ENTIRELY: 'x',
  });
  t.match(p, {
    ALLOWED_GROUP: 'is not a variable of the bridge; did you mean ALLOWED_GROUPS?',
    OIDC_CLIENT_SECERT: 'is not a variable of the bridge; did you mean OIDC_CLIENT_SECRET?',
    COMMBOX_BRAND_FILE: /only secrets may be read from a file \(_FILE\); set COMMBOX_BRAND itself/,
    oidc_issuer: 'variable names are upper-case: write OIDC_ISSUER',
    RATE_LIMIT: /did you mean RATE_LIMIT_MAX\?/,
    IDP_ACQUIRED_ISSUER: /names an IdP "acquired" that is not in OIDC_IDPS \(OIDC_IDPS is not set\); add it there/,
    OIDC_SOMETHING_ELSE_ENTIRELY: /^is not a variable of the bridge$/,
  });
  const withIdp = problems({
    ALLOWED_GROUPS: 'agents',
    ...WITH_ENTRA,
    IDP_ENTRA_ALLOWED_GROUP: 'agents',
    IDP_OKTA_CLIENT_SECRET_FILE: '/run/secrets/okta',
    IDP_X: '1',
  });
  t.same(withIdp, {
    IDP_ENTRA_ALLOWED_GROUP: 'is not a variable of the extra IdP "entra"; did you mean IDP_ENTRA_ALLOWED_GROUPS?',
    IDP_OKTA_CLIENT_SECRET_FILE:
      'names an IdP "okta" that is not in OIDC_IDPS (OIDC_IDPS lists entra); add it there, or remove this variable',
    IDP_X:
      "is not a variable of the bridge (an extra IdP's variables are IDP_<NAME>_<SETTING>, with NAME listed in OIDC_IDPS)",
  });
});

t.test("near misses outside the namespaces, and the default IdP's names after an extra IdP's prefix", async (t) => {
  t.match(
    problems({
      ALLOWED_EMAIL_DOMAINS: 'example.com',
      ALOWED_GROUPS: 'agents',
      ALLOWEDGROUPS: 'agents',
      COOKIESECRET: 'x',
      TRUSTPROXY: '1',
    }),
    {
      ALOWED_GROUPS: 'is not a variable of the bridge; did you mean ALLOWED_GROUPS?',
      ALLOWEDGROUPS: 'is not a variable of the bridge; did you mean ALLOWED_GROUPS?',
      COOKIESECRET: 'is not a variable of the bridge; did you mean COOKIE_SECRET?',
      TRUSTPROXY: 'is not a variable of the bridge; did you mean TRUST_PROXY?',
    },
  );
  t.same(
    unknownVariables(
      {
        HOSTNAME: 'x',
        NODE_OPTIONS: 'x',
        NODE_VERSION: 'x',
        SERVICE_NAME: 'x',
        POD_NAMESPACE: 'x',
        JAVA_HOME: 'x',
        ORGNAME: 'x',
      },
      [],
    ),
    [],
    "other programs' names, and short ones, are left alone",
  );
  t.match(
    problems({
      ...WITH_ENTRA,
      IDP_ENTRA_OIDC_ISSUER: 'x',
      IDP_ENTRA_OIDC_CLIENT_SECRET_FILE: 'x',
      IDP_OKTA_OIDC_CLIENT_ID: 'x',
    }),
    {
      IDP_ENTRA_OIDC_ISSUER: 'is not a variable of the extra IdP "entra"; write IDP_ENTRA_ISSUER',
      IDP_ENTRA_OIDC_CLIENT_SECRET_FILE:
        'is not a variable of the extra IdP "entra"; write IDP_ENTRA_CLIENT_SECRET_FILE',
      IDP_OKTA_OIDC_CLIENT_ID:
        /^names an IdP "okta" that is not in OIDC_IDPS \(OIDC_IDPS lists entra\); add it there \(and write IDP_OKTA_CLIENT_ID\), or remove this variable$/,
    },
  );
});

t.test("other programs' variables, and Kubernetes service links, are left alone", async (t) => {
  const env = {
    PATH: '/usr/bin',
    HOME: '/home/node',
    NODE_ENV: 'production',
    NODE_EXTRA_CA_CERTS: '/etc/ssl/corp.pem',
    HOSTNAME: 'bridge-7d9f',
    NO_COLOR: '1',
    http_proxy: 'http://proxy.example.com:3128',
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    REDIS_SERVICE_HOST: '10.96.4.2',
    REDIS_SERVICE_PORT: '6379',
    REDIS_SERVICE_PORT_TLS: '6380',
    REDIS_PORT: 'tcp://10.96.4.2:6379',
    REDIS_PORT_6379_TCP: 'tcp://10.96.4.2:6379',
    REDIS_PORT_6379_TCP_ADDR: '10.96.4.2',
    REDIS_PORT_6379_TCP_PORT: '6379',
    REDIS_PORT_6379_TCP_PROTO: 'tcp',
    COMMBOX_API_PORT: 'udp://10.96.4.3:53',
  };
  t.same(unknownVariables(env, []), []);
  t.same(problems({ ...env, ALLOWED_GROUPS: 'agents' }), {});
  t.notOk(isServiceLink('REDIS_PORT', '6379'), 'a plain number in *_PORT is not a service link');
  t.match(unknownVariables({ REDIS_PORT: '6379' }, []), [
    { variable: 'REDIS_PORT', problem: /not a variable of the bridge/ },
  ]);
  t.match(problems({ ALLOWED_GROUPS: 'agents', METRICS_PORT: 'tcp://10.96.7.1:9464' }), {
    METRICS_PORT: /Kubernetes service link \(a Service named "metrics"\), not a port: set enableServiceLinks: false/,
  });
  t.equal(closestName('SOMETHING_ELSE', ['ALLOWED_GROUPS']), undefined, 'no suggestion when nothing is close');
});
