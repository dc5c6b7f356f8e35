/**
 * The Kubernetes manifests validate against the Kubernetes API schemas
 * (kubernetes-models), and they agree with the bridge: probes, secrets, drain,
 * metrics; `kubectl apply -k` applies exactly the manifests, never the examples;
 * the documented commands create every Secret key they read; the Dockerfile and
 * the docs' docker commands agree with the image.
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

interface SecretKeyRef {
  name: string;
  key: string;
  optional?: boolean;
}

interface PodSpec {
  enableServiceLinks?: boolean;
  securityContext: {
    runAsNonRoot: boolean;
    runAsUser: number;
    runAsGroup?: number;
    fsGroup?: number;
    supplementalGroups?: number[];
  };
  volumes: {
    name: string;
    secret?: { secretName?: string; defaultMode?: number; optional?: boolean; items?: { key: string }[] };
  }[];
  terminationGracePeriodSeconds: number;
  containers: {
    name?: string;
    env: { name: string; value: string; valueFrom?: { secretKeyRef?: SecretKeyRef } }[];
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
  // REDIS_URL with the redis component (its Secret is created only for several replicas sharing Redis).
  const redisEnv = operatorEnv(withComponent(shippedDeployment(), 'redis').spec.template.spec.containers[0]!.env);
  // Traces are off in the shipped manifest: the export headers of a hosted backend are the operator's to mount.
  const exportHeaders = ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'];
  for (const v of SECRET_VARIABLES.filter((s) => !exportHeaders.includes(s)))
    t.ok(redisEnv[`${v}_FILE`] && redisEnv[v] === undefined, `${v} comes from a mounted file`);
  for (const v of exportHeaders) t.equal(redisEnv[v], undefined, 'never the export headers as a value');
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

type DeploymentDoc = { metadata: { name: string }; spec: { replicas: number; template: { spec: PodSpec } } };

/** The Deployment as `kubectl apply -k` applies it: the manifest alone. */
const shippedDeployment = () =>
  structuredClone(docs.find((d) => d.obj['kind'] === 'Deployment')!.obj) as never as DeploymentDoc;

/** A component of deploy/kubernetes/ (a kustomize Component in a folder of its own). */
const component = (name: string) =>
  parse(readFileSync(new URL(`${name}/kustomization.yaml`, dir), 'utf8')) as {
    kind: string;
    patches: { target: { kind: string; name: string }; patch: string }[];
  };

/**
 * The Deployment with a component's strategic-merge patches applied as kustomize applies them:
 * containers and volumes matched by name, env by name, mounts by path; new entries first.
 */
function withComponent(dep: DeploymentDoc, name: string): DeploymentDoc {
  const merged = structuredClone(dep);
  const mergeBy = <T>(key: keyof T, into: T[], from: T[] = []) => [
    ...from.filter((f) => !into.some((i) => i[key] === f[key])),
    ...into.map((i) => ({ ...i, ...from.find((f) => f[key] === i[key]) })),
  ];
  for (const { target, patch } of component(name).patches) {
    if (target.kind !== 'Deployment' || target.name !== dep.metadata.name) continue;
    const pod = (parse(patch, { version: '1.1' }) as DeploymentDoc).spec.template.spec;
    const into = merged.spec.template.spec;
    into.volumes = mergeBy('name', into.volumes, pod.volumes);
    into.containers = into.containers.map((c) => {
      const p = pod.containers.find((pc) => pc.name === c.name);
      if (!p) return c;
      return {
        ...c,
        env: mergeBy('name', c.env, p.env),
        volumeMounts: mergeBy('mountPath', c.volumeMounts, p.volumeMounts),
      };
    });
  }
  return merged;
}

/**
 * Every Secret key (`secret/key`) a pod cannot start without: the files its `*_FILE` variables
 * name in a Secret volume, and its non-optional `secretKeyRef`s.
 */
function secretKeysRead(pod: PodSpec): string[] {
  const keys: string[] = [];
  for (const c of pod.containers)
    for (const e of c.env) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && ref.optional !== true) keys.push(`${ref.name}/${ref.key}`);
      if (!e.name.endsWith('_FILE')) continue;
      const mount = c.volumeMounts.find((m) => e.value.startsWith(`${m.mountPath}/`));
      const secret = pod.volumes.find((v) => v.name === mount?.name)?.secret;
      if (mount && secret?.secretName) keys.push(`${secret.secretName}/${e.value.slice(mount.mountPath.length + 1)}`);
    }
  return keys;
}

/** The Secret keys (`secret/key`) the `kubectl … create secret generic` commands of a Markdown file create. */
function secretKeysCreated(markdown: string): Set<string> {
  const keys = new Set<string>();
  for (const command of markdown.replace(/\\\n\s*/g, ' ').split('\n')) {
    const secret = /^kubectl\b.*\bcreate secret generic (\S+)/.exec(command.trim())?.[1];
    if (!secret) continue;
    for (const m of command.matchAll(/--from-(?:file|literal)=([^=\s]+)=/g)) keys.add(`${secret}/${m[1]}`);
  }
  return keys;
}

const operationsMd = readFileSync(new URL('../docs/operations.md', import.meta.url), 'utf8');

t.test(
  'the documented kubectl commands create every Secret key the Deployment reads, with Redis or without',
  async (t) => {
    const created = secretKeysCreated(operationsMd);
    t.ok(created.has('commbox-sso-bridge/cookie-secret'), 'the commands are found');
    const without = shippedDeployment().spec.template.spec;
    const read = secretKeysRead(without);
    t.same(
      read.sort(),
      [
        'commbox-sso-bridge/commbox-api-key',
        'commbox-sso-bridge/cookie-secret',
        'commbox-sso-bridge/oidc-client-secret',
      ],
      'without Redis: the three secrets only',
    );
    for (const key of read) t.ok(created.has(key), `${key} is created by the documented command`);
    const withRedis = secretKeysRead(withComponent(shippedDeployment(), 'redis').spec.template.spec);
    t.ok(withRedis.includes('commbox-sso-bridge-redis/redis-url'), 'the redis component reads the Redis Secret');
    for (const key of withRedis) t.ok(created.has(key), `with Redis: ${key} is created by the documented command`);
    // The check can fail: a Deployment reading redis-url from the main Secret, which no documented command fills.
    const reading = shippedDeployment();
    reading.spec.template.spec.containers[0]!.env.push({
      name: 'REDIS_URL_FILE',
      value: '/run/secrets/commbox-sso-bridge/redis-url',
    });
    t.notOk(
      secretKeysRead(reading.spec.template.spec).every((key) => created.has(key)),
      'a key no command creates is caught',
    );
  },
);

t.test('the redis component: enabled by the lines kustomization.yaml has for it, as the steps say', async (t) => {
  const text = readFileSync(new URL('kustomization.yaml', dir), 'utf8');
  const commented = /^# components:\n((?:#\s+- \S+\n)+)/m.exec(text);
  t.ok(commented, 'kustomization.yaml has the components lines, commented out');
  t.same(
    [...commented![1]!.matchAll(/- (\S+)/g)].map((m) => m[1]),
    ['redis'],
  );
  t.notOk('components' in kustomization, 'not enabled as shipped: no Redis is needed to start');
  t.equal(component('redis').kind, 'Component');
  t.match(operationsMd, /uncomment the two lines "components:" and "- redis"/, 'the steps say which lines');
});

t.test('replicas: a PodDisruptionBudget, a CPU autoscaler, and Redis through the redis component', async (t) => {
  const dep = shippedDeployment();
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
  const shipped = operatorEnv(dep.spec.template.spec.containers[0]!.env);
  t.equal(shipped['REDIS_URL_FILE'], undefined, 'as shipped, no Redis');
  t.equal(parseConfig(shipped, () => SECRET_PLACEHOLDER).redis, undefined, 'and it starts without');

  const pod = withComponent(dep, 'redis').spec.template.spec;
  const env = operatorEnv(pod.containers[0]!.env);
  t.match(
    env['REDIS_URL_FILE'],
    /^\/run\/secrets\/commbox-sso-bridge-redis\//,
    'REDIS_URL from the mounted Redis Secret',
  );
  t.match(env['REDIS_CA_FILE'], /^\/run\/secrets\/commbox-sso-bridge-redis\//, "Redis's CA from it too");
  // Every file the Deployment reads is a key of an example Secret.
  const secrets = examples.filter((d) => d.obj['kind'] === 'Secret').map((d) => d.obj) as {
    metadata: { name: string };
    stringData: Record<string, string>;
  }[];
  for (const key of secretKeysRead(pod)) {
    const [name, file] = key.split('/');
    t.ok(
      secrets.find((s) => s.metadata.name === name)?.stringData[file!] !== undefined,
      `an example Secret has ${key}`,
    );
  }
  const redisSecret = secrets.find((s) => s.metadata.name === 'commbox-sso-bridge-redis')!;
  const config = parseConfig({ ...env }, (f) =>
    f.endsWith('redis-url')
      ? redisSecret.stringData['redis-url']!
      : f.endsWith('redis-ca.pem')
        ? caPem
        : SECRET_PLACEHOLDER,
  );
  t.match(config.redis, { url: /^rediss:\/\//, ca: caPem }, "the example Secret's Redis is TLS, with its CA");
  const mount = pod.containers[0]!.volumeMounts.find((m) => env['REDIS_URL_FILE']!.startsWith(`${m.mountPath}/`))!;
  t.ok(secretReadable(pod, mount.name), 'uid 1000 can read the mounted Redis Secret');
  t.equal(
    pod.volumes.find((v) => v.name === mount.name)!.secret!.defaultMode! & 0o026,
    0,
    'nobody else may read or write it',
  );
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
  const secret = examples.find(
    (d) => d.obj['kind'] === 'Secret' && (d.obj['metadata'] as { name: string }).name === 'commbox-sso-bridge-redis',
  )!.obj as { stringData: Record<string, string> };
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
  t.equal(
    /^\s+image: \S+\/commbox-sso-bridge:(\S+)$/m.exec(
      readFileSync(new URL('../deploy/kubernetes/deployment.yaml', import.meta.url), 'utf8'),
    )?.[1],
    version,
    "the Kubernetes Deployment runs the release of package.json's version",
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
  t.match(base, /commbox-sso-bridge\.mjs\.LICENSES\.txt \.\/dist\/$/m, "and the bundled packages' licences");
});

/** Options of `docker run` that take no value (any other option takes the next word, unless written with =). */
const DOCKER_RUN_FLAGS = new Set(['-d', '--detach', '--rm', '--read-only', '-i', '-t', '-it', '--init']);

/** The image each `docker run` of a Markdown text runs, and the tags its `docker build`s make. */
function dockerImages(markdown: string): { built: Set<string>; run: string[] } {
  const text = markdown.replace(/\\\n\s*/g, ' ');
  const built = new Set([...text.matchAll(/docker build\b[^`\n]*?(?:-t|--tag)[ =](\S+)/g)].map((m) => m[1]!));
  const run: string[] = [];
  for (const m of text.matchAll(/docker run\b([^`\n]*)/g)) {
    // `docker run` named in a sentence has no words after it.
    const words = m[1]!.trim().split(/\s+/).filter(Boolean);
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (w === '…' || w === '...') continue;
      if (w.startsWith('-')) {
        if (!DOCKER_RUN_FLAGS.has(w) && !w.includes('=')) i++;
        continue;
      }
      run.push(w);
      break;
    }
  }
  return { built, run };
}

t.test('the docs run the image they build: each docker run names a tag a docker build of the page makes', async (t) => {
  for (const file of ['../docs/operations.md', '../README.md']) {
    const { built, run } = dockerImages(readFileSync(new URL(file, import.meta.url), 'utf8'));
    for (const image of run) t.ok(built.has(image), `${file}: docker run ${image} (built: ${[...built].join(', ')})`);
    if (file.includes('operations')) t.ok(run.length >= 2, `${file}: its docker run examples are found`);
  }
  // The check can fail: a run of another tag than the build's is caught.
  const { built, run } = dockerImages(
    'docker build -t commbox-sso-bridge .\n\ndocker run -d --name x -e A=b \\\n  -p 1:1 --read-only commbox-sso-bridge:0.1.0\n',
  );
  t.same(run, ['commbox-sso-bridge:0.1.0']);
  t.notOk(built.has(run[0]!));
});
