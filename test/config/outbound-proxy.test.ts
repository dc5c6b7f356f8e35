/**
 * The outbound proxy variables (HTTP_PROXY, HTTPS_PROXY, NO_PROXY and their
 * lower-case forms): URLs checked, and the password a secret.
 */
import t from 'tap';
import { parseConfig, secretValues } from '../../src/config/parse.js';
import { configProblems, TWO_IDP_BASE } from '../helpers/config.js';

t.test('proxy configuration: URLs checked, lower-case forms read, the password scrubbed from logs', async (t) => {
  t.match(configProblems({ ...TWO_IDP_BASE, HTTPS_PROXY: 'socks5://p:1080' }), {
    HTTPS_PROXY: /http:\/\/ or https:\/\//,
  });
  t.match(configProblems({ ...TWO_IDP_BASE, HTTP_PROXY: 'proxy.example.com' }), { HTTP_PROXY: /not an absolute URL/ });
  const c = parseConfig({ ...TWO_IDP_BASE, https_proxy: 'http://u:p%40ss@proxy.example:3128', no_proxy: 'localhost' });
  t.same(c.proxy, { httpProxy: undefined, httpsProxy: 'http://u:p%40ss@proxy.example:3128', noProxy: 'localhost' });
  t.ok(secretValues(c).includes('p@ss') && secretValues(c).includes('p%40ss'), 'the proxy password is a secret');
  t.equal(parseConfig(TWO_IDP_BASE).proxy, undefined, 'no proxy: direct');
});
