/**
 * The outbound proxy: the IdP and CommBox reached through HTTP_PROXY, NO_PROXY
 * exempting hosts, and which proxy a URL uses as check-config reports it.
 */
import t from 'tap';
import { proxyFor } from '../../src/net/proxy.js';
import { startProxy } from '../helpers/proxy.js';
import { startHostileStack } from '../helpers/stack.js';

t.test('HTTP_PROXY: the IdP and CommBox are reached through the proxy; NO_PROXY exempts hosts', async (t) => {
  const proxy = await startProxy();
  t.teardown(() => proxy.close());
  const s = await startHostileStack({ env: { HTTP_PROXY: proxy.url } });
  t.ok(
    (await s.browser().walk(`${s.base}/login`, { stopAt: s.sandbox.loginUrl })).stoppedAt,
    'the login completes through the proxy',
  );
  const idpHost = new URL(s.idp.issuer).host;
  const commboxHost = new URL(s.sandbox.url).host;
  t.ok(proxy.seen.includes(idpHost), `the IdP went through the proxy (${proxy.seen.join(' ')})`);
  t.ok(proxy.seen.includes(commboxHost), 'CommBox went through the proxy');
  await s.close();

  proxy.seen.length = 0;
  const direct = await startHostileStack({ env: { http_proxy: proxy.url, no_proxy: '127.0.0.1' } });
  t.ok((await direct.browser().walk(`${direct.base}/login`, { stopAt: direct.sandbox.loginUrl })).stoppedAt);
  t.same(proxy.seen, [], 'NO_PROXY (lower-case forms read too): nothing through the proxy');
  await direct.close();
});

t.test('proxyFor: which proxy a URL uses, as check-config reports it, the password masked', async (t) => {
  const p = {
    httpProxy: 'http://user:secret@proxy.example:3128',
    httpsProxy: undefined,
    noProxy: 'localhost, .internal.example,api.example:8443',
  };
  t.equal(
    proxyFor(p, new URL('https://login.example.com/')),
    'http://user:***@proxy.example:3128',
    'https falls back to HTTP_PROXY',
  );
  t.equal(proxyFor(p, new URL('http://localhost:3000/')), undefined);
  t.equal(proxyFor(p, new URL('https://idp.internal.example/')), undefined, '.domain covers subdomains');
  t.equal(proxyFor(p, new URL('https://api.example:8443/')), undefined, 'host:port');
  t.equal(
    proxyFor(p, new URL('https://api.example/')),
    'http://user:***@proxy.example:3128',
    'another port is proxied',
  );
  t.equal(proxyFor({ ...p, noProxy: '*' }, new URL('https://x.example/')), undefined);
  t.equal(proxyFor(undefined, new URL('https://x.example/')), undefined);
  t.equal(
    proxyFor({ httpProxy: undefined, httpsProxy: 'http://p:1', noProxy: undefined }, new URL('http://x.example/')),
    undefined,
    'http without HTTP_PROXY: direct',
  );
});
