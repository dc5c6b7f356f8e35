/**
 * Failures on the way to a server, said once and with what to check: a DNS
 * failure however the libraries wrap it, a refused connection, a TLS
 * certificate nobody trusts.
 */
import t from 'tap';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { describeError, explainNetworkError } from '../../src/net/network-errors.js';
import { send } from '../../src/net/send.js';
import { selfSignedCertificate } from '../helpers/tls.js';
import { freePort } from '../helpers/stack.js';

/** How openid-client and undici wrap a DNS failure. */
function wrapped(code: string, extra: Record<string, unknown> = {}): Error {
  const root = Object.assign(new Error(`getaddrinfo ${code} idp.corp.example`), {
    code,
    hostname: 'idp.corp.example',
    ...extra,
  });
  const fetchFailed = new TypeError('fetch failed', { cause: root });
  return Object.assign(new Error('something went wrong', { cause: fetchFailed }), { code: 'OAUTH_SOMETHING' });
}

t.test('a DNS failure wrapped three times is said once, with what to check', async (t) => {
  const text = describeError(wrapped('ENOTFOUND'));
  t.equal(
    text,
    'DNS lookup of idp.corp.example failed (ENOTFOUND): check the host name, the DNS this service uses, and that egress to it is allowed',
  );
  t.notMatch(text, /something went wrong|fetch failed/);
  t.match(describeError(wrapped('EAI_AGAIN')), /DNS lookup .* \(EAI_AGAIN\)/);
  t.match(describeError(wrapped('ETIMEDOUT')), /no connection to idp\.corp\.example \(ETIMEDOUT\): check that egress/);
  t.match(
    describeError(wrapped('UNABLE_TO_GET_ISSUER_CERT_LOCALLY')),
    /TLS certificate is not trusted .* NODE_EXTRA_CA_CERTS/,
  );
  t.equal(explainNetworkError(new Error('plain')), undefined, 'not a network failure');
  t.equal(
    describeError(new Error('outer', { cause: new Error('inner') })),
    'outer <- inner',
    'other errors: the distinct messages',
  );
  t.equal(
    describeError(new Error('something went wrong', { cause: new Error('the real reason') })),
    'the real reason',
    'empty wrappers are dropped',
  );
});

t.test('a real refused connection', async (t) => {
  const port = await freePort();
  const agent = new Agent({ connect: { timeout: 1000 } });
  t.teardown(() => agent.close());
  const e = await send(agent, { origin: `http://127.0.0.1:${port}`, path: '/', method: 'GET' }).catch(
    (x: unknown) => x,
  );
  t.equal(
    explainNetworkError(e),
    `the connection to 127.0.0.1:${port} was refused (ECONNREFUSED): check the URL and port, and that the server is up`,
  );
});

t.test(
  'a real TLS server with a certificate nobody trusts (a TLS-inspecting proxy): NODE_EXTRA_CA_CERTS is named',
  async (t) => {
    const { key, cert } = selfSignedCertificate();
    const server = https.createServer({ key, cert }, (_req, res) => res.end('{}'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const agent = new Agent({ connect: { timeout: 2000 } });
    t.teardown(async () => {
      await agent.close();
      server.close();
    });
    const e = await send(agent, {
      origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      path: '/',
      method: 'GET',
    }).catch((x: unknown) => x);
    t.match(
      describeError(e),
      /^the server's TLS certificate is not trusted \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\): if a corporate proxy inspects TLS, give its CA certificate with NODE_EXTRA_CA_CERTS/,
    );
  },
);
