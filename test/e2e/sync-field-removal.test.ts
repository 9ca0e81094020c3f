import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Discovery, KubeClient, ResourceWriter } from '../../src/cluster/index.js';
import type { Application } from '../../src/core/index.js';
import { kubectl, testKubeConfig, uniqueName } from '../harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../harness/git-repo.js';
import { repoSecret, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';

/** A Deployment whose pod template carries the optional fields the test removes later. */
function deployment(opts: { withExtras: boolean }): string {
  const extras = opts.withExtras;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata:
      labels: { app: web }
${extras ? '      annotations: { example.com/note: "from git" }\n' : ''}    spec:
${extras ? '      nodeSelector: { disktype: ssd }\n' : ''}${
    extras ? '      tolerations: [{ key: dedicated, operator: Equal, value: web, effect: NoSchedule }]\n' : ''
  }      containers:
        - name: web
          image: registry.example.com/web:1
          env:
            - { name: KEEP, value: "1" }
${extras ? '            - { name: DROP, value: "2" }\n' : ''}`;
}

const phaseOf = (a: Application) => (a.status?.operationState as { phase?: string } | undefined)?.phase;

// Kubernetes, Server-Side Apply: "If you remove a field from a manifest and apply that manifest,
// Server-Side Apply checks for any other field managers that also own the field. If the field is not
// owned by any other field managers, it is either deleted from the live object or reset to its
// default value, if it has one." A commit that drops a field is a normal sync, not a rejected request.
describe('a commit that removes fields from a pod template', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-fieldrm');
  // App name unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const appName = uniqueName('web');
  const target = `${ns}-dest`;
  const repoName = uniqueName('fieldrm');
  const apps = testKubeConfig().makeApiClient(k8s.AppsV1Api);
  let stop: () => Promise<void>;
  let work: WorkingCopy;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    await createRepo(git, repoName);
    work = await cloneRepo(git, repoName);
    await work.writeFile('web.yaml', deployment({ withExtras: true }));
    await work.commit('web with nodeSelector, tolerations, annotation and two env vars');
    await work.push({ branch: 'main' });
    const repoURL = git.repoUrl(repoName);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: appName, namespace: ns },
        spec: {
          project: 'default',
          source: { repoURL, targetRevision: 'main', path: '.' },
          destination: { server: 'https://kubernetes.default.svc', namespace: target },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
        },
      }),
    });
  });

  afterAll(async () => {
    await kubectl(['delete', 'application', appName, '-n', ns, '--ignore-not-found']).catch(() => {});
    await stop?.();
    await kubectl(['delete', 'namespace', ns, target, '--wait=false', '--ignore-not-found']).catch(() => {});
    await work?.dispose();
  });

  it('syncs the removal and the live Deployment loses the fields', async () => {
    const first = await work.head();
    await waitForApp(
      ns,
      appName,
      'the first commit synced',
      (a) =>
        a.status?.sync?.revision === first &&
        a.status?.sync?.status === 'Synced' &&
        phaseOf(a) === 'Succeeded',
    );
    const before = await apps.readNamespacedDeployment({ name: 'web', namespace: target });
    expect(before.spec?.template.spec?.nodeSelector).toEqual({ disktype: 'ssd' });
    expect(before.spec?.template.spec?.tolerations?.map((t) => t.key)).toEqual(['dedicated']);
    expect(before.spec?.template.spec?.containers[0]?.env?.map((e) => e.name)).toEqual(['KEEP', 'DROP']);

    await work.writeFile('web.yaml', deployment({ withExtras: false }));
    const second = await work.commit('web without nodeSelector, tolerations, annotation, env DROP');
    await work.push({ branch: 'main' });
    const app = await waitForApp(
      ns,
      appName,
      'the removal synced or failed',
      (a) =>
        (a.status?.operationState as { syncResult?: { revision?: string } } | undefined)?.syncResult
          ?.revision === second && ['Succeeded', 'Failed', 'Error'].includes(phaseOf(a) ?? ''),
    );
    expect(phaseOf(app), JSON.stringify((app.status?.operationState as { message?: string })?.message)).toBe(
      'Succeeded',
    );
    const after = await apps.readNamespacedDeployment({ name: 'web', namespace: target });
    expect(after.spec?.template.spec?.nodeSelector).toBeUndefined();
    expect(after.spec?.template.spec?.tolerations).toBeUndefined();
    expect(after.spec?.template.metadata?.annotations?.['example.com/note']).toBeUndefined();
    expect(after.spec?.template.spec?.containers[0]?.env?.map((e) => e.name)).toEqual(['KEEP']);
  });

  // People's kubectl edits are drift (Mooring's foreign managers): a field they co-own with Git and
  // an env entry they added go too, in the same sync that drops Git's fields, without a failed patch.
  it('also removes fields people co-own or added when a commit drops Git fields', async () => {
    await kubectl([
      'patch',
      'application',
      appName,
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"syncPolicy":{"automated":{"prune":true,"selfHeal":false}}}}',
    ]);
    await work.writeFile('web.yaml', deployment({ withExtras: true }));
    const restored = await work.commit('web with the extras again');
    await work.push({ branch: 'main' });
    await waitForApp(
      ns,
      appName,
      'the extras synced again',
      (a) =>
        (a.status?.operationState as { syncResult?: { revision?: string } } | undefined)?.syncResult
          ?.revision === restored &&
        phaseOf(a) === 'Succeeded' &&
        a.status?.sync?.status === 'Synced',
    );
    // kubectl-set adds an env entry after DROP; kubectl-patch co-owns nodeSelector with Mooring.
    await kubectl(['set', 'env', 'deployment/web', 'EXTRA=3', '-n', target]);
    await kubectl([
      'patch',
      'deployment',
      'web',
      '-n',
      target,
      '--type=merge',
      '-p',
      '{"spec":{"template":{"spec":{"nodeSelector":{"disktype":"ssd","zone":"a"}}}}}',
    ]);
    const managers = (
      await apps.readNamespacedDeployment({ name: 'web', namespace: target })
    ).metadata?.managedFields?.map((f) => f.manager);
    expect(managers).toEqual(expect.arrayContaining(['mooring', 'kubectl-set', 'kubectl-patch']));

    await work.writeFile('web.yaml', deployment({ withExtras: false }));
    const dropped = await work.commit('web without the extras, again');
    await work.push({ branch: 'main' });
    const app = await waitForApp(
      ns,
      appName,
      'the second removal synced or failed',
      (a) =>
        (a.status?.operationState as { syncResult?: { revision?: string } } | undefined)?.syncResult
          ?.revision === dropped && ['Succeeded', 'Failed', 'Error'].includes(phaseOf(a) ?? ''),
    );
    expect(phaseOf(app), JSON.stringify((app.status?.operationState as { message?: string })?.message)).toBe(
      'Succeeded',
    );
    const after = await apps.readNamespacedDeployment({ name: 'web', namespace: target });
    expect(after.spec?.template.spec?.nodeSelector).toBeUndefined();
    expect(after.spec?.template.spec?.tolerations).toBeUndefined();
    expect(after.spec?.template.spec?.containers[0]?.env?.map((e) => e.name)).toEqual(['KEEP']);
  });

  // The apiserver answers a JSON patch `remove` of a missing path with a bare 422 ("the server
  // rejected our request due to an error in our request", no details): the error must say which op.
  it('names the JSON patch ops in the error when the apiserver refuses them', async () => {
    const client = new KubeClient(testKubeConfig());
    const writer = new ResourceWriter(client, new Discovery(client));
    const key = { group: 'apps', kind: 'Deployment', namespace: target, name: 'web' };
    await expect(
      writer.jsonPatch(key, [{ op: 'remove', path: '/spec/template/spec/nodeSelector' }]),
    ).rejects.toThrow(
      `apps/Deployment ${target}/web: JSON patch remove /spec/template/spec/nodeSelector failed: `,
    );
  });
});
