/**
 * The Kubernetes manifests validate against the Kubernetes API schemas
 * (kubernetes-models), and they agree with the bridge: probes, secrets, drain,
 * metrics; `kubectl apply -k` applies exactly the manifests, never the examples.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { Secret } from 'kubernetes-models/v1/Secret';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { parseConfig, SECRET_VARIABLES } from '../src/config/parse.js';
import { ConfigError } from '../src/errors.js';
import { createTestCa } from './helpers/redis.js';

/** What a mounted secret file holds in these tests: any value a generator could have written. */
const SECRET_PLACEHOLDER = 'Zk3q9P0vLw7xR2mT8yB5nC1dF6gH4jK0sA9eU3iO7pQ=';

const dir = new URL('../deploy/kubernetes/', import.meta.url);
const examplesDir = new URL('examples/', dir);
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

// Kubernetes reads YAML 1.1: `0440` is octal there (and decimal in YAML 1.2).
const load = (base: URL, files: string[]) =>
  files.flatMap((f) =>
    parseAllDocuments(readFileSync(new URL(f, base), 'utf8'), { version: '1.1' }).map((d) => ({
      file: f,
      obj: d.toJSON() as Record<string, unknown>,
    })),
  );
const yamlIn = (base: URL) => readdirSync(base).filter((f) => f.endsWith('.yaml'));
const kustomization = parse(readFileSync(new URL('kustomization.yaml', dir), 'utf8')) as {
  kind: string;
  resources: string[];
};
const docs = load(dir, kustomization.resources);
const examples = load(examplesDir, yamlIn(examplesDir));
/** A CA certificate, for the files REDIS_CA_FILE names. */
const caPem = readFileSync(createTestCa().certFile, 'utf8');

t.test('every manifest and example validates against its Kubernetes schema', async (t) => {
  t.ok(docs.length >= 4);
  for (const { file, obj } of [...docs, ...examples]) {
    const key = `${obj['apiVersion']}/${obj['kind']}`;
    const Model = MODELS[key];
    t.ok(Model, `${file}: a known kind (${key})`);
    t.doesNotThrow(() => new Model!(obj as never).validate(), `${file}: ${key} is valid`);
  }
});

t.test('a broken manifest is caught (the check can fail)', async (t) => {
  const dep = structuredClone(docs.find((d) => d.obj['kind'] === 'Deployment')!.obj) as { spec: { replicas: unknown } };
  dep.spec.replicas = 'two';
  t.throws(() => new Deployment(dep as never).validate());
});

t.test('kubectl apply -k applies every manifest of the folder, and never the example Secret', async (t) => {
  t.equal(kustomization.kind, 'Kustomization');
  t.same(
    [...kustomization.resources].sort(),
    yamlIn(dir)
      .filter((f) => f !== 'kustomization.yaml')
      .sort(),
    'every manifest in the folder is listed, nothing else',
  );
  t.notOk(
    docs.some((d) => d.obj['kind'] === 'Secret'),
    'no Secret in the applied set (its placeholder cookie secret is public)',
  );
  t.ok(
    examples.some((d) => d.obj['kind'] === 'Secret'),
    'the example Secret is kept, under examples/',
  );
  const ingress = examples.find((d) => d.obj['kind'] === 'Ingress')?.obj as
    | {
        spec: {
          tls: { hosts: string[] }[];
          rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[];
        };
      }
    | undefined;
  t.ok(ingress?.spec.tls[0]?.hosts.length, 'the example Ingress terminates TLS');
  t.same(
    ingress?.spec.rules[0]?.http.paths.map((p) => p.backend.service.port.name),
    ['http'],
    'and routes only the http port (never metrics)',
  );
});

interface PodSpec {
  enableServiceLinks?: boolean;
  securityContext: {
    runAsNonRoot: boolean;
    runAsUser: number;
    runAsGroup?: number;
    fsGroup?: number;
    supplementalGroups?: number[];
  };
  volumes: { name: string; secret?: { defaultMode?: number } }[];
  terminationGracePeriodSeconds: number;
  containers: {
    env: { name: string; value: string }[];
    ports: { name: string; containerPort: number }[];
    volumeMounts: { name: string; mountPath: string }[];
    livenessProbe: { httpGet: { path: string } };
    readinessProbe: { httpGet: { path: string } };
    securityContext: { readOnlyRootFilesystem: boolean };
    lifecycle: { preStop: unknown };
  }[];
}

/**
 * Whether the container's user can read the files of a Secret volume, as the
 * kubelet lays them out: owned by root; with an fsGroup, group-owned by it and
 * given at least group read (0440 on read-only volumes); else group root.
 */
function secretReadable(pod: PodSpec, volume: string): boolean {
  const sc = pod.securityContext;
  const mode =
    (pod.volumes.find((v) => v.name === volume)?.secret?.defaultMode ?? 0o644) | (sc.fsGroup !== undefined ? 0o440 : 0);
  const fileGroup = sc.fsGroup ?? 0;
  const groups = [sc.runAsGroup ?? 0, sc.fsGroup, ...(sc.supplementalGroups ?? [])];
  if (sc.runAsUser === 0) return true;
  if (groups.includes(fileGroup) && (mode & 0o040) !== 0) return true;
  return (mode & 0o004) !== 0;
}

/** An address an operator would put in place of the TRUST_PROXY placeholder (an ingress-nginx pod CIDR). */
const OPERATOR_TRUST_PROXY = '10.244.0.0/16';

/** The Deployment's variables, with TRUST_PROXY replaced as its comment asks. */
const operatorEnv = (env: { name: string; value: string }[]): Record<string, string> => ({
  ...Object.fromEntries(env.map((e) => [e.name, e.value])),
  TRUST_PROXY: OPERATOR_TRUST_PROXY,
});

t.test('TRUST_PROXY: the shipped value refuses to start until the operator names the ingress controller', async (t) => {
  const dep = docs.find((d) => d.obj['kind'] === 'Deployment')!.obj as never as {
    spec: { template: { spec: PodSpec } };
  };
  const shipped = dep.spec.template.spec.containers[0]!.env.find((e) => e.name === 'TRUST_PROXY')?.value;
  t.ok(shipped, 'the Deployment sets TRUST_PROXY (a bridge behind an ingress needs it)');
  const env = operatorEnv(dep.spec.template.spec.containers[0]!.env);
  const readFile = (f: string) =>
    f.endsWith('/redis-url') ? 'rediss://redis:6379' : f.endsWith('/redis-ca.pem') ? caPem : SECRET_PLACEHOLDER;
  try {
    parseConfig({ ...env, TRUST_PROXY: shipped }, readFile);
    t.fail('the shipped placeholder must not start');
  } catch (e) {
    t.ok(e instanceof ConfigError);
    t.same(
      (e as ConfigError).problems.map((p) => p.variable),
      ['TRUST_PROXY'],
      'TRUST_PROXY is the only problem, and it says what to write',
    );
    t.match((e as ConfigError).problems[0]!.problem, /list the proxy's addresses or CIDRs/);
  }
  t.same(parseConfig(env, readFile).trustProxy, [OPERATOR_TRUST_PROXY], 'replaced, it starts');
});

/** A TRUST_PROXY line that trusts a whole private network, everyone (true) or a hop count. */
const TOO_WIDE =
  /10\.0\.0\.0\/8|172\.16\.0\.0\/12|192\.168\.0\.0\/16|uniquelocal|\btrue\b|value:\s*"?\d+"?\s*}|TRUST_PROXY[=:]\s*"?\d+"?\s*$/;

t.test('nothing shipped trusts a whole private network (any pod in it could choose its address)', async (t) => {
  const files = [
    ...kustomization.resources.map((f) => new URL(f, dir)),
    ...yamlIn(examplesDir).map((f) => new URL(f, examplesDir)),
    new URL('../docker-compose.yml', import.meta.url),
  ];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const line of text.split('\n').filter((l) => /TRUST_PROXY/.test(l) && !/^\s*#/.test(l))) {
      t.notMatch(line, TOO_WIDE, `${file.pathname.split('/').pop()}: ${line.trim()}`);
    }
  }
  // The check can fail: a whole private network (10.0.0.0/8) is caught.
  t.match('            - { name: TRUST_PROXY, value: "10.0.0.0/8" }', TOO_WIDE);
});

t.test('the example NetworkPolicy admits only the ingress controller to the http port', async (t) => {
  const policy = examples.find((d) => d.file === 'networkpolicy.example.yaml')!.obj as never as {
    spec: {
      podSelector: { matchLabels: Record<string, string> };
      ingress: { from: { namespaceSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: string }[] }[];
    };
  };
  t.same(policy.spec.podSelector.matchLabels, { 'app.kubernetes.io/name': 'commbox-sso-bridge' });
  const toHttp = policy.spec.ingress.filter((r) => r.ports.some((p) => p.port === 'http'));
  t.equal(toHttp.length, 1);
  t.same(
    toHttp[0]!.from.map((f) => f.namespaceSelector?.matchLabels),
    [{ 'kubernetes.io/metadata.name': 'ingress-nginx' }],
  );
  t.ok(
    policy.spec.ingress.every((r) => r.from.length > 0 && r.from.every((f) => f.namespaceSelector !== undefined)),
    'every rule names where from (no rule open to all)',
  );
});

t.test('the Deployment agrees with the bridge', async (t) => {
  const dep = docs.find((d) => d.obj['kind'] === 'Deployment')!.obj as never as {
    spec: { replicas: number; template: { spec: PodSpec } };
  };
  const pod = dep.spec.template.spec;
  const c = pod.containers[0]!;
  t.equal(dep.spec.replicas, 2);
  t.equal(c.livenessProbe.httpGet.path, '/healthz');
  t.equal(c.readinessProbe.httpGet.path, '/readyz');
  t.equal(c.securityContext.readOnlyRootFilesystem, true);
  t.equal(pod.securityContext.runAsUser, 1000);
  t.equal(
    pod.enableServiceLinks,
    false,
    'no service-link variables (METRICS_PORT=tcp://… from a Service named metrics)',
  );
  t.ok(c.lifecycle.preStop);
  const env = operatorEnv(c.env);
  for (const v of SECRET_VARIABLES) t.ok(env[`${v}_FILE`] && env[v] === undefined, `${v} comes from a mounted file`);
  // The configuration the manifest gives is valid (secret files read as placeholders).
  const config = parseConfig(env, (f) =>
    f.endsWith('/redis-url') ? 'rediss://redis:6379' : f.endsWith('/redis-ca.pem') ? caPem : SECRET_PLACEHOLDER,
  );
  t.ok(
    config.shutdownTimeoutMs / 1000 + 5 < pod.terminationGracePeriodSeconds,
    'preStop + drain fit in the grace period',
  );
  t.equal(
    config.metricsPort,
    c.ports.find((p) => p.name === 'metrics')?.containerPort,
    "the metrics port is the container's",
  );
  t.equal(
    config.metricsHost,
    '0.0.0.0',
    "Prometheus can reach it from outside the pod (the bridge's own default is loopback)",
  );
  t.equal(config.port, c.ports.find((p) => p.name === 'http')?.containerPort);

  // The secret files are readable by the bridge's user.
  const mount = c.volumeMounts.find((m) => Object.values(env).some((v) => v.startsWith(`${m.mountPath}/`)))!;
  t.ok(mount, 'the *_FILE variables point into a mounted volume');
  t.ok(secretReadable(pod, mount.name), 'uid 1000 can read the mounted Secret');
  const mode = pod.volumes.find((v) => v.name === mount.name)!.secret!.defaultMode!;
  t.equal(mode & 0o022, 0, 'nobody may write it');
  t.equal(mode & 0o004, 0, 'others may not read it');
  // The check can fail: a Secret volume of mode 0400 without an fsGroup is caught.
  t.notOk(
    secretReadable(
      {
        ...pod,
        securityContext: { ...pod.securityContext, fsGroup: undefined },
        volumes: [{ name: mount.name, secret: { defaultMode: 0o400 } }],
      },
      mount.name,
    ),
    '0400 without fsGroup is unreadable',
  );
});

t.test('replicas: a PodDisruptionBudget, a CPU autoscaler, and Redis from the Secret', async (t) => {
  const dep = docs.find((d) => d.obj['kind'] === 'Deployment')!.obj as never as {
    spec: { replicas: number; template: { spec: PodSpec } };
  };
  const pdb = docs.find((d) => d.obj['kind'] === 'PodDisruptionBudget')!.obj as never as {
    spec: { minAvailable: number };
  };
  const hpa = docs.find((d) => d.obj['kind'] === 'HorizontalPodAutoscaler')!.obj as never as {
    spec: {
      scaleTargetRef: { name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: { resource: { name: string } }[];
    };
  };
  t.ok(dep.spec.replicas >= 2, 'several replicas');
  t.ok(
    pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < dep.spec.replicas,
    'a drain keeps one replica serving and can still proceed',
  );
  t.equal(hpa.spec.scaleTargetRef.name, 'commbox-sso-bridge');
  t.equal(hpa.spec.minReplicas, dep.spec.replicas);
  t.ok(hpa.spec.maxReplicas > hpa.spec.minReplicas);
  t.same(
    hpa.spec.metrics.map((m) => m.resource.name),
    ['cpu'],
    'on CPU',
  );
  const env = operatorEnv(dep.spec.template.spec.containers[0]!.env);
  t.match(env['REDIS_URL_FILE'], /^\/run\/secrets\/commbox-sso-bridge\//, 'REDIS_URL from the mounted Secret');
  // Every file the Deployment reads is a key of the example Secret.
  const secret = examples.find((d) => d.obj['kind'] === 'Secret')!.obj as { stringData: Record<string, string> };
  for (const [name, value] of Object.entries(env)) {
    if (name.endsWith('_FILE'))
      t.ok(value.split('/').pop()! in secret.stringData, `${name}: the Secret has ${value.split('/').pop()}`);
  }
  t.match(env['REDIS_CA_FILE'], /^\/run\/secrets\/commbox-sso-bridge\//, "Redis's CA from the mounted Secret");
  const config = parseConfig({ ...env }, (f) =>
    f.endsWith('redis-url') ? secret.stringData['redis-url']! : f.endsWith('redis-ca.pem') ? caPem : SECRET_PLACEHOLDER,
  );
  t.match(config.redis, { url: /^rediss:\/\//, ca: caPem }, "the example Secret's Redis is TLS, with its CA");
});

t.test('the trial Redis example: no persistence, TLS only, reachable only from the bridge pods', async (t) => {
  const redisDep = examples.find((d) => d.file === 'redis.example.yaml' && d.obj['kind'] === 'Deployment')!
    .obj as never as {
    spec: { template: { spec: PodSpec & { containers: { args: string[] }[] } } };
  };
  const pod = redisDep.spec.template.spec;
  const args = pod.containers[0]!.args.join(' ');
  t.match(args, /--save\s+--appendonly no/);
  t.match(args, /--port 0 /, 'no plain-text port');
  const tlsPort = /--tls-port (\d+)/.exec(args)?.[1];
  const service = examples.find((d) => d.file === 'redis.example.yaml' && d.obj['kind'] === 'Service')!
    .obj as never as {
    metadata: { name: string };
    spec: { ports: { port: number; targetPort: string }[] };
  };
  t.equal(service.spec.ports[0]!.port, Number(tlsPort), 'the Service port is the TLS port');
  const tlsMount = pod.containers[0]!.volumeMounts.find(
    (m) => args.includes(`--tls-cert-file ${m.mountPath}/`) && args.includes(`--tls-key-file ${m.mountPath}/`),
  );
  t.ok(tlsMount, 'the certificate and key come from a mounted volume');
  t.ok(secretReadable(pod, tlsMount!.name), "Redis's user can read the mounted TLS Secret");
  // The example Secret names this Redis as the bridge reaches it.
  const secret = examples.find((d) => d.obj['kind'] === 'Secret')!.obj as { stringData: Record<string, string> };
  t.equal(secret.stringData['redis-url'], `rediss://${service.metadata.name}:${service.spec.ports[0]!.port}`);
  const policy = examples.find((d) => d.file === 'redis.example.yaml' && d.obj['kind'] === 'NetworkPolicy')!
    .obj as never as {
    spec: { ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[] };
  };
  t.same(policy.spec.ingress[0]!.from[0]!.podSelector.matchLabels, { 'app.kubernetes.io/name': 'commbox-sso-bridge' });
});

t.test(
  'docker-compose.yml: the default stack is unchanged; the replicas profile has Redis and two bridges sharing it',
  async (t) => {
    const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
      services: Record<string, { profiles?: string[]; environment?: Record<string, string>; image?: string }>;
    };
    const s = compose.services;
    t.same(
      Object.keys(s).filter((n) => s[n]!.profiles === undefined),
      ['idp', 'sandbox', 'bridge'],
      'docker compose up starts what it always did',
    );
    t.notOk(s['bridge']!.environment!['REDIS_URL'], 'the default bridge needs no Redis');
    for (const n of ['redis', 'replica-a', 'replica-b'])
      t.same(s[n]!.profiles, ['replicas'], `${n} is in the replicas profile`);
    const a = s['replica-a']!.environment!;
    const b = s['replica-b']!.environment!;
    t.equal(a['PUBLIC_URL'], b['PUBLIC_URL'], 'one PUBLIC_URL, as behind a load balancer');
    t.equal(a['REDIS_URL'], b['REDIS_URL']);
    t.not(a['PORT'], b['PORT']);
    t.not(a['METRICS_PORT'], b['METRICS_PORT']);
    for (const n of ['bridge', 'replica-a', 'replica-b'])
      t.doesNotThrow(() => parseConfig(s[n]!.environment!), `${n}: a valid configuration`);
    for (const n of ['bridge', 'replica-a', 'replica-b'])
      t.equal(s[n]!.environment!['METRICS_HOST'], '0.0.0.0', `${n}: /metrics reachable from outside its container`);
  },
);

t.test('Dockerfile: the image serves /metrics for a scraper outside the container', async (t) => {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  const base = dockerfile.slice(dockerfile.indexOf(' AS base'), dockerfile.indexOf(' AS demo'));
  t.match(
    base,
    /^ENV METRICS_HOST=0\.0\.0\.0$/m,
    "METRICS_HOST=0.0.0.0 in the runtime image (the bridge's own default is loopback)",
  );
  t.match(base, /^EXPOSE 3000 9464$/m);
});

t.test("Dockerfile: labels, licence and SBOM in the image; the version is package.json's", async (t) => {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  t.equal(
    /^ARG VERSION=(\S+)$/m.exec(dockerfile)?.[1],
    version,
    "a plain docker build labels the image with package.json's version (the build refuses any other)",
  );
  const base = dockerfile.slice(dockerfile.indexOf(' AS base'), dockerfile.indexOf(' AS demo'));
  for (const label of [
    'title',
    'description',
    'version',
    'revision',
    'created',
    'licenses',
    'source',
    'url',
    'documentation',
    'vendor',
  ])
    t.match(base, new RegExp(`org\\.opencontainers\\.image\\.${label}="[^"]+"`), `the ${label} label`);
  t.match(base, /org\.opencontainers\.image\.licenses="Apache-2\.0"/);
  t.match(base, /^COPY --from=build \/app\/sbom\.cdx\.json \.\/$/m, 'the SBOM is in the runtime image');
  t.match(base, /^COPY LICENSE \.\/$/m, 'and the licence');
});
