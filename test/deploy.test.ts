/**
 * The Kubernetes manifests validate against the Kubernetes API schemas
 * (kubernetes-models), and they agree with the bridge: probes, secrets, drain.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { Secret } from 'kubernetes-models/v1/Secret';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { parseConfig, SECRET_VARIABLES } from '../src/config.js';

const dir = new URL('../deploy/kubernetes/', import.meta.url);
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

const docs = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(new URL(f, dir), 'utf8')).map((d) => ({ file: f, obj: d.toJSON() as Record<string, unknown> })));

t.test('every manifest validates against its Kubernetes schema', async (t) => {
  t.ok(docs.length >= 5);
  for (const { file, obj } of docs) {
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

t.test('the Deployment agrees with the bridge', async (t) => {
  const dep = docs.find((d) => d.obj['kind'] === 'Deployment')!.obj as never as {
    spec: { replicas: number; template: { spec: { terminationGracePeriodSeconds: number; containers: { env: { name: string; value: string }[]; livenessProbe: { httpGet: { path: string } }; readinessProbe: { httpGet: { path: string } }; securityContext: { readOnlyRootFilesystem: boolean }; lifecycle: { preStop: unknown } }[]; securityContext: { runAsNonRoot: boolean; runAsUser: number } } } };
  };
  const c = dep.spec.template.spec.containers[0]!;
  t.equal(dep.spec.replicas, 2);
  t.equal(c.livenessProbe.httpGet.path, '/healthz');
  t.equal(c.readinessProbe.httpGet.path, '/readyz');
  t.equal(c.securityContext.readOnlyRootFilesystem, true);
  t.equal(dep.spec.template.spec.securityContext.runAsUser, 1000);
  t.ok(c.lifecycle.preStop);
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
  for (const v of SECRET_VARIABLES) t.ok(env[`${v}_FILE`] && env[v] === undefined, `${v} comes from a mounted file`);
  // The configuration the manifest gives is valid (secret files read as placeholders).
  const config = parseConfig(env, () => 'x'.repeat(40));
  t.ok(config.shutdownTimeoutMs / 1000 + 5 < dep.spec.template.spec.terminationGracePeriodSeconds, 'preStop + drain fit in the grace period');
  t.equal(config.metricsPort, 9100);
});
