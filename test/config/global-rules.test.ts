/**
 * The rules between the bridge's global variables, on what the walk returned: a
 * variable set but unusable counts as set (its own problem is reported by the
 * walk; the rule still holds).
 */
import t from 'tap';
import { globalRules } from '../../src/config/global-rules.js';
import { GLOBAL_VARIABLES } from '../../src/config/table.js';
import type { VariableProblem } from '../../src/config/unknown.js';
import { walkVariables } from '../../src/config/walk.js';

const readFile = (path: string) => {
  throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
};

/** The variables the walk found a problem with (the required ones unset among them), and the rules' problems. */
function rules(env: Record<string, string>): { walk: string[]; rules: VariableProblem[] } {
  const walkProblems: VariableProblem[] = [];
  const globals = walkVariables(env, GLOBAL_VARIABLES, (n) => n, walkProblems, readFile);
  const problems: VariableProblem[] = [];
  globalRules(globals, (variable, problem) => void problems.push({ variable, problem }));
  return { walk: walkProblems.map((p) => p.variable), rules: problems };
}

t.test('COMMBOX_CHAT_URL and COMMBOX_CHAT_CHANNELS need each other', async (t) => {
  t.same(rules({ COMMBOX_CHAT_URL: 'https://apps.commbox.io/chat', COMMBOX_CHAT_CHANNELS: '*' }).rules, []);
  t.same(rules({ COMMBOX_CHAT_CHANNELS: '*' }).rules, [
    { variable: 'COMMBOX_CHAT_CHANNELS', problem: 'is set but COMMBOX_CHAT_URL is not' },
  ]);
  const badUrl = rules({ COMMBOX_CHAT_URL: 'http://apps.commbox.io/chat', COMMBOX_CHAT_CHANNELS: '*' });
  t.ok(badUrl.walk.includes('COMMBOX_CHAT_URL'), 'an http URL is its own problem');
  t.same(badUrl.rules, [], 'and it is set: the channels do not stand alone');
  const urlOnly = rules({ COMMBOX_CHAT_URL: 'not a url' });
  t.same(
    urlOnly.rules.map((p) => p.variable),
    ['COMMBOX_CHAT_CHANNELS'],
    'a chat URL set, even unusable, requires the channels',
  );
});

t.test('REDIS_CA_FILE needs a REDIS_URL of rediss://, given directly or in a file', async (t) => {
  const CA_WITHOUT_URL = 'is set but REDIS_URL is not: set REDIS_URL (rediss://…), or remove REDIS_CA_FILE';
  t.same(rules({ REDIS_CA_FILE: '/ca.pem' }).rules, [{ variable: 'REDIS_CA_FILE', problem: CA_WITHOUT_URL }]);
  t.same(
    rules({ REDIS_CA_FILE: '/ca.pem', REDIS_URL_FILE: '/run/secrets/redis-url' }).rules,
    [],
    'a REDIS_URL_FILE that cannot be read is set: its own problem',
  );
  t.same(rules({ REDIS_CA_FILE: '/ca.pem', REDIS_URL: 'redis://127.0.0.1:6379' }).rules, [
    { variable: 'REDIS_CA_FILE', problem: 'is used only with rediss:// (TLS): write REDIS_URL as rediss://' },
  ]);
  t.same(rules({ REDIS_CA_FILE: '/ca.pem', REDIS_URL: 'rediss://redis.example.com' }).rules, []);
});

t.test('COMMBOX_LOGIN_URL carries no ta of its own', async (t) => {
  t.same(rules({ COMMBOX_LOGIN_URL: 'https://b.commbox.io/login?lang=en' }).rules, []);
  t.same(rules({ COMMBOX_LOGIN_URL: 'https://b.commbox.io/login?lang=en&ta=x' }).rules, [
    { variable: 'COMMBOX_LOGIN_URL', problem: 'must not already contain a "ta" parameter' },
  ]);
});

t.test('export headers (the backend credential) are never sent over plain http to another host', async (t) => {
  const problem = (variable: string, headers: string) => ({
    variable,
    problem: `is plain http:// to another host while ${headers} set: the tracing backend's credential would cross the network in clear; write https:// (the receiver's TLS address), or, for an in-cluster collector that needs no credential, remove ${headers.replace(/ (is|are)$/, '')}`,
  });
  const KEY = 'authorization=Bearer%20otlp-key-0123456789';
  t.same(rules({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318', OTEL_EXPORTER_OTLP_HEADERS: KEY }).rules, [
    problem('OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS is'),
  ]);
  t.same(
    rules({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo.example.com/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: KEY,
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: KEY,
    }).rules,
    [
      problem(
        'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
        'OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS are',
      ),
    ],
    'the traces endpoint, the one used, with both headers named',
  );
  t.same(
    rules({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://unused:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example.com/v1/traces',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: KEY,
    }).rules,
    [],
    'the endpoint traces go to is https',
  );
  for (const ok of ['https://otlp.example.com', 'http://localhost:4318', 'http://127.0.0.1:4318', 'http://[::1]:4318'])
    t.same(rules({ OTEL_EXPORTER_OTLP_ENDPOINT: ok, OTEL_EXPORTER_OTLP_HEADERS: KEY }).rules, [], `${ok} with headers`);
  t.same(
    rules({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }).rules,
    [],
    'plain http without headers (an in-cluster collector)',
  );
  const problems = JSON.stringify(
    rules({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: KEY }),
  );
  t.notMatch(problems, /otlp-key/, 'the header value is never quoted');
});
