import { loadApiConfig } from '@chatq/api/config.ts';
import { TURN_QUEUE } from '@chatq/contracts';
import { loadWorkerConfig } from '@chatq/worker/config.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const K8S = `${ROOT}infra/k8s/`;
/** Stand-ins for the chatq-secrets Secret's keys. */
const SECRETS: Record<string, string> = {
  DATABASE_URL: 'postgres://chatq@postgres:5432/chatq',
  CHATQ_SECRET_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff',
  CHATQ_BOOTSTRAP_TOKEN: `cq_${'x'.repeat(40)}`,
};

/** Every YAML document of a file, failing on any syntax error (there is no Docker or cluster here). */
function load(path: string): any[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'), { merge: true });
  for (const doc of docs) expect(doc.errors, path).toEqual([]);
  return docs.map((d) => d.toJS({ maxAliasCount: 100 }));
}

const manifests = readdirSync(K8S)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => load(`${K8S}${f}`));
const ofKind = (kind: string) => manifests.filter((m) => m?.kind === kind);
const deployment = (name: string) => ofKind('Deployment').find((d) => d.metadata.name === name);

/** The environment a container would see, with placeholder secrets. */
function containerEnv(container: any): Record<string, string> {
  const config = ofKind('ConfigMap').find((c) => c.metadata.name === 'chatq-config').data;
  const env: Record<string, string> = { ...config };
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = SECRETS[e.valueFrom.secretKeyRef.key]!;
  }
  return env;
}

describe('infra/compose.yaml', () => {
  const [compose] = load(`${ROOT}infra/compose.yaml`);

  it('runs Postgres, Redis without eviction and with AOF, the API and replicated workers', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres', 'redis', 'worker']);
    const redis = compose.services.redis.command.join(' ');
    expect(redis).toMatch(/--maxmemory-policy noeviction/);
    expect(redis).toMatch(/--appendonly yes/);
    expect(compose.services.worker.deploy.replicas).toBeGreaterThan(1);
    expect(compose.services.worker.command).toEqual(['node', 'services/worker/src/main.ts']);
  });

  it('gives both services the same Redis Cluster–safe queue prefix', () => {
    expect(compose.services.api.environment.QUEUE_PREFIX).toBe('{chatq}');
    expect(compose.services.worker.environment.QUEUE_PREFIX).toBe('{chatq}');
  });
});

describe('infra/k8s', () => {
  it('has Deployments with probes, a Service, disruption budgets and a KEDA ScaledObject', () => {
    expect(
      ofKind('Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['chatq-api', 'chatq-worker']);
    for (const d of ofKind('Deployment')) {
      for (const c of d.spec.template.spec.containers) {
        expect(c.readinessProbe.httpGet.path, d.metadata.name).toBe('/readyz');
        expect(c.livenessProbe.httpGet.path, d.metadata.name).toBe('/healthz');
      }
      expect(d.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    }
    expect(ofKind('Service').map((s) => s.metadata.name)).toEqual(['chatq-api']);
    expect(ofKind('PodDisruptionBudget')).toHaveLength(2);
    expect(ofKind('ScaledObject')).toHaveLength(1);
  });

  it('configures each container with an environment its service accepts', () => {
    const api = deployment('chatq-api').spec.template.spec;
    expect(() => loadApiConfig(containerEnv(api.containers[0]))).not.toThrow();
    const worker = deployment('chatq-worker').spec.template.spec;
    const config = loadWorkerConfig(containerEnv(worker.containers[0]));
    expect(config.httpPort).toBe(worker.containers[0].ports[0].containerPort);
    // The pod outlives the worker's own drain, so turns finish rather than being cut off.
    expect(worker.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.shutdownGraceMs);
  });

  it('scales workers on the length of the queue’s waiting list', () => {
    const [scaled] = ofKind('ScaledObject');
    expect(scaled.spec.scaleTargetRef.name).toBe('chatq-worker');
    const prefix = ofKind('ConfigMap')[0].data.QUEUE_PREFIX;
    expect(scaled.spec.triggers[0].metadata.listName).toBe(`${prefix}:${TURN_QUEUE}:wait`);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(`${ROOT}Dockerfile`, 'utf8');

  it('builds in stages on Node 24 and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM node:24/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/--omit=dev/);
  });
});
