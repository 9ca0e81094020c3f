import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Application, KubeObject } from '../../core/index.js';
import { KubeClient } from '../../cluster/index.js';
import { ShardGate } from './gate.js';

const kubeConfig = new KubeConfig();
kubeConfig.loadFromOptions({
  clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }],
  users: [{ name: 'u' }],
  contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
  currentContext: 'x',
});

function app(name: string, dest: { server?: string; name?: string }): Application {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd' },
    spec: { project: 'default', destination: dest, source: { repoURL: 'https://x', path: '.' } },
  } as Application;
}

function gate(shardBy: 'app' | 'cluster', apps: Application[]): ShardGate {
  const byKey = new Map(apps.map((a) => [`argocd/${a.metadata.name}`, a]));
  return new ShardGate({
    client: new KubeClient(kubeConfig),
    namespace: 'argocd',
    options: {
      replicaId: 'r0',
      shardBy,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    },
    application: (key) => byKey.get(key),
    serverOf: (dest) => (dest.name === 'prod' ? 'https://prod.example.com' : undefined),
    running: () => [],
    onChange: () => {},
  });
}

const clusterSecret = (server: string, shard: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'c' },
    data: { server: Buffer.from(server).toString('base64'), shard: Buffer.from(shard).toString('base64') },
  }) as KubeObject;

describe('the shard gate', () => {
  const replicas = ['r0', 'r1', 'r2', 'r3', 'r4'];
  const apps = Array.from({ length: 60 }, (_, i) =>
    app(`a${i}`, i % 2 ? { server: 'https://prod.example.com' } : { name: 'prod' }),
  );

  it('with --shard-by cluster puts every app of one cluster, by server or by name, on one replica', () => {
    const g = gate('cluster', apps);
    const owners = new Set(apps.map((a) => g.ownerAmong(`argocd/${a.metadata.name}`, replicas)));
    expect(owners.size).toBe(1);
  });

  it('with --shard-by app spreads the apps of one cluster', () => {
    const g = gate('app', apps);
    const owners = new Set(apps.map((a) => g.ownerAmong(`argocd/${a.metadata.name}`, replicas)));
    expect(owners.size).toBeGreaterThan(1);
  });

  it("pins a cluster's apps to the replica its Secret's shard names, in either mode", () => {
    for (const mode of ['app', 'cluster'] as const) {
      const g = gate(mode, apps);
      g.setClusterSecrets([clusterSecret('https://prod.example.com/', '3')]);
      for (const a of apps) expect(g.ownerAmong(`argocd/${a.metadata.name}`, replicas)).toBe('r3');
    }
  });
});
