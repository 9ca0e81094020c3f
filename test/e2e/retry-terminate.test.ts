import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Discovery, KubeClient, ResourceWriter } from '../../src/cluster/index.js';
import { writeOperationState } from '../../src/controller/operations.js';
import type { Application, OperationState } from '../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName } from '../harness/cluster.js';
import { deployApp, getApp, startTestController, waitForApp } from '../harness/suite.js';

interface OpState {
  phase?: string;
  message?: string;
  retryCount?: number;
  syncResult?: { mooring?: { currentWave?: number } };
}
const opOf = (a: Application) => a.status?.operationState as OpState | undefined;

// syncPolicy.retry and terminating a running operation, on the real cluster.
describe('sync retry and terminate', () => {
  const ns = uniqueName('mooring-retry');
  // App names unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const retried = uniqueName('retried');
  const terminated = uniqueName('terminated');
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 60_000 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl([
      'delete',
      'namespace',
      ns,
      `${ns}-a`,
      `${ns}-b`,
      '--wait=false',
      '--ignore-not-found',
    ]).catch(() => {});
  });

  const app = (name: string, manifest: string, destination: string, syncPolicy: Record<string, unknown>) =>
    deployApp({ namespace: ns, name, from: { 'app.yaml': manifest }, destination, syncPolicy });

  it('retries a failing sync up to syncPolicy.retry.limit, then fails with the apiserver’s reason', async () => {
    // The apiserver refuses a negative replica count: every attempt fails the same way.
    const bad = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: -1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: registry.example.com/web:1 }] }
`;
    await app(retried, bad, `${ns}-a`, {
      automated: {},
      syncOptions: ['CreateNamespace=true'],
      retry: { limit: 2, backoff: { duration: '1s', factor: 2, maxDuration: '5s' } },
    });
    const done = await waitForApp(
      ns,
      retried,
      'retries exhausted',
      (a) => opOf(a)?.phase === 'Failed' && opOf(a)?.retryCount === 2,
    );
    expect(opOf(done)?.message).toMatch(/spec\.replicas/);
  });

  it('terminates a running operation', async () => {
    const gated = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: gated
spec:
  replicas: 1
  selector: { matchLabels: { app: gated } }
  template:
    metadata: { labels: { app: gated } }
    spec:
      nodeSelector: { mooring.test/never: "true" }
      containers: [{ name: app, image: registry.example.com/app:1 }]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: after
  annotations: { argocd.argoproj.io/sync-wave: "1" }
data: { a: "1" }
`;
    await app(terminated, gated, `${ns}-b`, { automated: {}, syncOptions: ['CreateNamespace=true'] });
    await waitForApp(
      ns,
      terminated,
      'waiting for wave 0',
      (a) => opOf(a)?.phase === 'Running' && opOf(a)?.syncResult?.mooring?.currentWave === 0,
    );
    await kubectl([
      'patch',
      'application',
      terminated,
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"operationState":{"phase":"Terminating"}}}',
    ]);
    const done = await waitForApp(ns, terminated, 'terminated', (a) => opOf(a)?.phase === 'Failed');
    expect(opOf(done)?.message).toBe('Operation terminated');
    await expect(kubectl(['get', 'configmap', 'after', '-n', `${ns}-b`])).rejects.toThrow(/NotFound/);
  });

  it('keeps a terminate request made while a step was in flight (the step’s write does not overwrite it)', async () => {
    // The Application lives in a namespace no controller serves, so only this test writes its status.
    const appNs = `${ns}-c`;
    await kubectl(['create', 'namespace', appNs]);
    const name = uniqueName('raced');
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: appNs },
        spec: {
          project: 'default',
          source: { repoURL: 'https://git.example.com/r.git', path: '.' },
          destination: { server: 'https://kubernetes.default.svc', namespace: appNs },
        },
      }),
    });
    const client = new KubeClient(testKubeConfig());
    const writer = new ResourceWriter(client, new Discovery(client));
    const key = { group: 'argoproj.io', kind: 'Application', namespace: appNs, name };
    const patch = async (ops: unknown[]) => {
      await writer.jsonPatch(key, ops, { subresource: 'status' });
    };
    const running: OperationState = {
      operation: { sync: { revision: 'main' } },
      phase: 'Running',
      message: 'starting',
      startedAt: new Date().toISOString(),
      syncResult: { revision: 'abc', resources: [] },
    };
    const setPhase = (phase: string) =>
      kubectl([
        'patch',
        'application',
        name,
        '-n',
        appNs,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { operationState: { phase } } }),
      ]);
    await patch([{ op: 'add', path: '/status', value: { operationState: running } }]);
    // The step read phase Running; the user asks to terminate before the step writes its progress.
    await setPhase('Terminating');
    const progress: OperationState = { ...running, message: 'waiting for wave 0 to be healthy' };
    await expect(writeOperationState(patch, 'Running', progress)).resolves.toBe('terminating');
    let op = opOf(await getApp(appNs, name));
    expect(op?.phase).toBe('Terminating');
    expect(op?.message).toBe('waiting for wave 0 to be healthy');

    // Without a request in between the step's write goes through as before.
    await patch([{ op: 'add', path: '/status/operationState', value: running }]);
    await expect(writeOperationState(patch, 'Running', progress)).resolves.toBe('written');
    expect(opOf(await getApp(appNs, name))?.phase).toBe('Running');

    // A request that comes after the step finished the operation leaves its end as it is.
    await setPhase('Terminating');
    const done: OperationState = { ...running, phase: 'Succeeded', message: 'successfully synced' };
    await expect(writeOperationState(patch, 'Running', done)).resolves.toBe('written');
    op = opOf(await getApp(appNs, name));
    expect(op?.phase).toBe('Succeeded');
    await kubectl(['delete', 'namespace', appNs, '--wait=false']);
  });
});
