/** URLs in the configuration: https, http to this machine only; some kept as written. */
import t from 'tap';
import { httpsUrl, httpsUrlAsWritten } from '../../src/config/urls.js';
import type { Parser } from '../../src/config/variable.js';

/** The value a parser gives for `raw`, and the problems it reports. */
const parse = <T>(parser: Parser<T>, raw: string | undefined) => {
  const problems: string[] = [];
  const value = parser(raw, { bad: (p) => void problems.push(p), readFile: () => '' });
  return { value, problems };
};

t.test('a URL the bridge extends is kept exactly as written', async (t) => {
  const bare = parse(httpsUrlAsWritten({ query: true }), 'https://Acme.commbox.io');
  t.equal(bare.value?.written, 'https://Acme.commbox.io', 'no "/" added, the letter case kept');
  t.equal(bare.value?.url.href, 'https://acme.commbox.io/', 'the parsed URL beside it');
  t.equal(parse(httpsUrlAsWritten(), 'https://x.example/a%20b').value?.written, 'https://x.example/a%20b');
  t.same(parse(httpsUrlAsWritten(), undefined), { value: undefined, problems: [] });
  t.same(parse(httpsUrlAsWritten(), ''), { value: undefined, problems: [] });
});

t.test('as written or not, the same checks', async (t) => {
  for (const raw of [
    'http://x.example/',
    'not a url',
    'https://u:p@x.example/',
    'https://x.example/#f',
    'https://x.example/?q=1',
  ]) {
    const plain = parse(httpsUrl(), raw);
    const written = parse(httpsUrlAsWritten(), raw);
    t.same(written.problems, plain.problems, raw);
    t.equal(written.value?.url.href, plain.value?.href, `${raw}: a value when the plain parser gives one`);
  }
});
