import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/core/index.js';
import { VERSION } from '../../../src/cli/install/values.js';
import { locateTools, requireTool } from '../../../src/render/tools.js';
import { execFileAsync } from '../../harness/cluster.js';

const root = resolve(import.meta.dirname, '../../..');
const script = join(root, 'scripts/local-cluster');
const PREVIOUS_CHART = join(import.meta.dirname, 'testdata/mooring-0.1.0.tgz');
const WORKING_CHART = join(root, 'deploy/chart/mooring');

// The CRDs are cluster-wide and the suite's shared cluster has them already (applied by the harness,
// used by every test at once), so installing, upgrading and uninstalling them happens in a cluster of
// this test's own.
describe('helm chart CRDs: installed, updated by helm upgrade, kept by helm uninstall', () => {
  const env = {
    ...process.env,
    MOORING_CLUSTER_NAME: `chart-crds-${randomBytes(3).toString('hex')}`,
    MOORING_FAKE_NODES: '1',
  };
  let kubeconfig = '';
  let kubectlBin = '';

  const run = async (bin: string, args: string[]) => {
    try {
      return (await execFileAsync(bin, [...args, '--kubeconfig', kubeconfig], { maxBuffer: 1 << 26 })).stdout;
    } catch (err) {
      throw new Error(`${bin} ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
  };
  const helm = (args: string[]) => run(requireTool(locateTools(), 'helm'), args);
  const kubectl = (args: string[]) => run(kubectlBin, args);
  const crd = async () =>
    JSON.parse(await kubectl(['get', 'crd', 'applications.argoproj.io', '-o', 'json'])) as KubeObject;
  const app = async () =>
    JSON.parse(
      await kubectl(['get', 'applications.argoproj.io', 'kept', '-n', 'argocd', '-o', 'json']),
    ) as KubeObject;

  beforeAll(async () => {
    await execFileAsync(script, ['up'], { env, maxBuffer: 1 << 24 }).catch((err: { stderr?: string }) => {
      throw new Error(`scripts/local-cluster up failed:\n${err.stderr ?? String(err)}`);
    });
    kubeconfig = /^export KUBECONFIG=(.*)$/m.exec(
      (await execFileAsync(script, ['env'], { env })).stdout,
    )![1]!;
    kubectlBin = join(
      (await execFileAsync(script, ['path'], { env })).stdout.trim().split(':')[0]!,
      'kubectl',
    );
  });

  afterAll(async () => {
    await execFileAsync(script, ['down'], { env });
  });

  it('0.1.0 installs the CRDs; the upgrade updates them in place; uninstall leaves them and the Applications', async () => {
    await helm([
      'install',
      'mooring',
      PREVIOUS_CHART,
      '--namespace',
      'argocd',
      '--create-namespace',
      '--set',
      'server.service.type=ClusterIP',
      '--wait',
      '--timeout',
      '120s',
    ]);
    const installed = await crd();
    expect(installed.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    // Chart 0.1.0 did not give its objects the version label yet.
    expect(installed.metadata.labels?.['app.kubernetes.io/version']).toBeUndefined();

    // An Application stored under the 0.1.0 CRD.
    const dir = await mkdtemp(join(tmpdir(), 'mooring-chart-crds-'));
    await writeFile(
      join(dir, 'app.yaml'),
      stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'kept', namespace: 'argocd' },
        spec: {
          project: 'default',
          source: { repoURL: 'https://git.example.com/kept.git', targetRevision: 'main', path: '.' },
          destination: { server: 'https://kubernetes.default.svc', namespace: 'kept' },
        },
      }),
    );
    await kubectl(['apply', '-f', join(dir, 'app.yaml')]);
    await rm(dir, { recursive: true, force: true });
    const before = await app();

    await helm([
      'upgrade',
      'mooring',
      WORKING_CHART,
      '--namespace',
      'argocd',
      '--set',
      'server.service.type=ClusterIP',
      '--wait',
      '--timeout',
      '120s',
    ]);
    const upgraded = await crd();
    expect(upgraded.metadata.uid).toBe(installed.metadata.uid);
    expect(upgraded.metadata.labels).toMatchObject({
      'app.kubernetes.io/part-of': 'mooring',
      'app.kubernetes.io/version': VERSION,
    });
    expect((await app()).metadata.uid).toBe(before.metadata.uid);

    await helm(['uninstall', 'mooring', '--namespace', 'argocd', '--wait']);
    const kept = await crd();
    expect(kept.metadata.uid).toBe(installed.metadata.uid);
    expect((await app()).metadata.uid).toBe(before.metadata.uid);
    // The rest of the release is gone.
    expect(await kubectl(['get', 'deployments', '-n', 'argocd', '-o', 'name'])).toBe('');
  });
});
