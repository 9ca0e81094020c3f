import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application, ApplicationSet, KubeObject } from '../../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName, waitFor } from '../../harness/cluster.js';
import { startExtraCluster, type ExtraCluster } from '../../harness/extra-cluster.js';
import { createRepo } from '../../harness/git-repo.js';
import { getApp, repoSecret, startTestController, suiteGitServer, waitForApp } from '../../harness/suite.js';

const root = resolve(import.meta.dirname, '../../..');

async function appNames(namespace: string): Promise<string[]> {
  const list = (await testKubeConfig().makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({
    group: 'argoproj.io',
    version: 'v1alpha1',
    namespace,
    plural: 'applications',
  })) as {
    items: Application[];
  };
  return list.items
    .filter((a) => !a.metadata.deletionTimestamp)
    .map((a) => a.metadata.name!)
    .sort();
}

// examples/appset/fleet-clusters.yaml on a real second cluster: one Application per registered
// cluster whose Secret has the label, deployed there; a cluster that loses the label loses its app.
describe('ApplicationSet clusters generator, with a second cluster', () => {
  const git = suiteGitServer();
  const ns = uniqueName('appset-fleet');
  const destNs = `${ns}-myapp`;
  let extra: ExtraCluster;
  let stop: () => Promise<void>;
  let repoURL: string;

  /** An Argo CD cluster Secret for the extra cluster, named as the fleet example's overlay. */
  async function clusterSecret(name: string, labels: Record<string, string>): Promise<KubeObject> {
    const pem = async (f: string) => (await readFile(join(extra.pki, f))).toString('base64');
    const config = {
      tlsClientConfig: {
        caData: await pem('ca.crt'),
        certData: await pem('admin.crt'),
        keyData: await pem('admin.key'),
      },
    };
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: `cluster-${name}`,
        namespace: ns,
        labels: { 'argocd.argoproj.io/secret-type': 'cluster', ...labels },
      },
      stringData: { name, server: extra.server, config: JSON.stringify(config) },
    };
  }

  beforeAll(async () => {
    const started = startExtraCluster('appset');
    const repo = uniqueName('fleet-config');
    await createRepo(git, repo, join(root, 'examples/fleet'));
    repoURL = git.repoUrl(repo);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 3_600_000 }));
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    extra = await started;
  });

  afterAll(async () => {
    await kubectl(['delete', 'applicationsets', '--all', '-n', ns, '--wait=false']).catch(() => {});
    await stop?.();
    await kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']).catch(() => {});
    await extra?.stop();
  });

  it('creates one app per labelled cluster, deployed to that cluster, and removes it when the cluster leaves', async () => {
    // Argo CD: "For each cluster registered with Argo CD, the Cluster generator produces parameters based on the list of items found within the cluster secret."
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(await clusterSecret('cluster-a', { fleet: 'myapp' })),
    });
    const text = await readFile(join(root, 'examples/appset/fleet-clusters.yaml'), 'utf8');
    const set = parse(
      text.replaceAll('https://github.com/myorg/fleet-config.git', repoURL),
    ) as ApplicationSet;
    set.metadata.namespace = ns;
    set.spec.template.spec!.destination!.namespace = destNs;
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(set) });

    const app = await waitForApp(
      ns,
      'myapp-cluster-a',
      'Synced and Healthy on the second cluster',
      (a) => a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy',
      150_000,
    );
    expect(app.spec.destination).toEqual({ name: 'cluster-a', namespace: destNs });
    expect(app.spec.source?.path).toBe('overlays/cluster-a');
    // Only the labelled cluster: the selector leaves the local cluster out.
    expect(await appNames(ns)).toEqual(['myapp-cluster-a']);
    const cm = JSON.parse(
      await extra.kubectl(['get', 'configmap', 'myapp-config', '-n', destNs, '-o', 'json']),
    ) as {
      data: Record<string, string>;
    };
    expect(cm.data).toMatchObject({ CLUSTER: 'cluster-a', REGION: 'eu-west' });
    // Nothing went to the local cluster.
    expect(await kubectl(['get', 'namespace', destNs, '--ignore-not-found', '-o', 'name'])).toBe('');

    // The cluster loses the label: its app goes (applicationsSync: sync, the default).
    await kubectl(['label', 'secret', 'cluster-cluster-a', '-n', ns, 'fleet-']);
    await waitFor('the app deleted', async () => (await appNames(ns)).length === 0, { timeoutMs: 60_000 });
    // Its cascade finalizer (preserveResourcesOnDeletion is off) takes its resources off the cluster first.
    await waitFor(
      'the app gone',
      () =>
        getApp(ns, 'myapp-cluster-a').then(
          () => false,
          () => true,
        ),
      { timeoutMs: 60_000 },
    );
    expect(
      await extra.kubectl(['get', 'deployment', 'myapp', '-n', destNs, '--ignore-not-found', '-o', 'name']),
    ).toBe('');
  });
});
