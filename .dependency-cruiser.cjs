// npm run lint runs this (`depcruise src`): the layers of docs/development.md as rules.
// config → net → oidc, claims, commbox → login → web, routes → app → server, with errors.ts below
// everything. Type imports count (tsPreCompilationDeps): a type is a dependency too.
const upward = (...layers) => `^src/(${layers.join('|')})`;
const ABOVE_CONFIG = upward(
  'net/',
  'redis/',
  'observability/',
  'oidc/',
  'claims/',
  'commbox/',
  'login/',
  'web/',
  'routes/',
  'app\\.ts$',
  'bridge\\.ts$',
  'server\\.ts$',
  'check-config\\.ts$',
);
const ABOVE_NET = upward(
  'oidc/',
  'claims/',
  'commbox/',
  'login/',
  'web/',
  'routes/',
  'app\\.ts$',
  'bridge\\.ts$',
  'server\\.ts$',
  'check-config\\.ts$',
);
const ABOVE_DOMAIN = upward(
  'login/',
  'web/',
  'routes/',
  'app\\.ts$',
  'bridge\\.ts$',
  'server\\.ts$',
  'check-config\\.ts$',
);
const ABOVE_LOGIN = upward('web/', 'routes/', 'app\\.ts$', 'bridge\\.ts$', 'server\\.ts$', 'check-config\\.ts$');
const ABOVE_ROUTES = upward('app\\.ts$', 'bridge\\.ts$', 'server\\.ts$', 'check-config\\.ts$');
const ABOVE_APP = upward('server\\.ts$', 'check-config\\.ts$');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'errors-is-a-leaf',
      comment: 'src/errors.ts (reason codes, coded errors) is below every layer: it imports nothing of src/.',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'config-imports-no-layer-above',
      comment: 'config is the lowest layer: it may import config/ and errors.ts only.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: ABOVE_CONFIG },
    },
    {
      name: 'net-imports-no-layer-above',
      comment: 'net/, redis/ and observability/ may import config/, errors.ts and each other only.',
      severity: 'error',
      from: { path: '^src/(net|redis|observability)/' },
      to: { path: ABOVE_NET },
    },
    {
      name: 'oidc-claims-commbox-import-no-layer-above',
      comment: 'oidc/, claims/ and commbox/ may import net/, config/ and errors.ts, never login/ or above.',
      severity: 'error',
      from: { path: '^src/(oidc|claims|commbox)/' },
      to: { path: ABOVE_DOMAIN },
    },
    {
      name: 'oidc-claims-commbox-are-siblings',
      comment: 'oidc/, claims/ and commbox/ do not import each other: login/ composes them.',
      severity: 'error',
      from: { path: '^src/(oidc|claims|commbox)/' },
      to: { path: '^src/(oidc|claims|commbox)/', pathNot: '^src/$1/' },
    },
    {
      name: 'login-imports-no-layer-above',
      comment:
        'login/ (plain functions) may import oidc/, claims/, commbox/ and below, never web/, routes/ or the wiring.',
      severity: 'error',
      from: { path: '^src/login/' },
      to: { path: ABOVE_LOGIN },
    },
    {
      name: 'web-imports-no-routes',
      comment: 'web/ (pages, headers, the error handler) may import login/ and below, never routes/ or the wiring.',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: `${ABOVE_ROUTES}|^src/routes/` },
    },
    {
      name: 'routes-import-no-wiring',
      comment: 'routes/ (thin Fastify adapters) take what they use as options; they never import app.ts or bridge.ts.',
      severity: 'error',
      from: { path: '^src/routes/' },
      to: { path: ABOVE_ROUTES },
    },
    {
      name: 'app-imports-no-server',
      comment: 'app.ts and bridge.ts build the app; server.ts and check-config.ts run it.',
      severity: 'error',
      from: { path: '^src/(app|bridge)\\.ts$' },
      to: { path: ABOVE_APP },
    },
    {
      name: 'every-module-in-a-layer',
      comment:
        'A module of src/ lives in a layer folder; only errors.ts and the wiring (app, bridge, server, check-config) sit at the top.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/[^/]+\\.ts$', pathNot: '^src/(errors|app|bridge|server|check-config)\\.ts$' },
    },
    {
      name: 'every-folder-a-layer',
      comment:
        'A folder of src/ that no rule names would escape them all: a new layer folder is added to the rules first.',
      severity: 'error',
      from: { path: '^src/' },
      to: {
        path: '^src/[^/]+/',
        pathNot: '^src/(config|net|redis|observability|oidc|claims|commbox|login|web|routes)/',
      },
    },
    {
      name: 'no-cycles',
      comment: 'A cycle, type imports included, means two modules are one.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-imports-no-tooling',
      comment: 'The service never imports the demo, the tests, the bench or the scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(dev|test|bench|scripts)/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
