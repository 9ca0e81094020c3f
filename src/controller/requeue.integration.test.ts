import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_MANAGER } from '../cluster/index.js';
import type { Logger } from '../core/index.js';
import { applicationCrd } from './crds.js';
import { kubectl, uniqueName, waitFor } from '../../test/harness/cluster.js';
import { createRepo } from '../../test/harness/git-repo.js';
import {
  getApp,
  repoSecret,
  startTestController,
  suiteGitServer,
  waitForApp,
} from '../../test/harness/suite.js';

// A pass that throws (here: the apiserver refuses the status write, as an admission policy or a
// dropped connection would) is tried again with backoff. Nothing else looks at the app in this test
// (no poll for an hour, the Application never changes), so only that retry can write its status.
describe('a pass that throws', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-requeue');
  const policy = uniqueName('mooring-test-block-status');
  let stop: () => Promise<void>;
  let dir: string;
  const failures: string[] = [];

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    dir = await mkdtemp(join(tmpdir(), 'mooring-requeue-'));
    await writeFile(
      join(dir, 'configmap.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n',
    );
    // Every write to an Application's status in this namespace is refused while the binding exists.
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: policy },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
            resourceRules: [
              {
                apiGroups: ['argoproj.io'],
                apiVersions: ['*'],
                operations: ['UPDATE'],
                resources: ['applications/status'],
              },
            ],
          },
          validations: [{ expression: 'false', message: 'status writes are blocked by the test' }],
        },
      }),
    });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: policy },
        spec: { policyName: policy, validationActions: ['Deny'] },
      }),
    });
    // The apiserver loads a new policy asynchronously (seconds on a loaded machine): until a status
    // write is refused, the controller's first write could go through and leave nothing to retry.
    // A probe Application, made and removed before the controller starts, shows when it holds
    // (its CRD applied as the controller would, in case this file runs first on a new cluster).
    await kubectl(['apply', '--server-side', '--field-manager', FIELD_MANAGER, '-f', '-'], {
      input: JSON.stringify(applicationCrd()),
    });
    await waitFor('the probe Application', async () =>
      kubectl(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name: 'policy-probe', namespace: ns },
          spec: {
            project: 'default',
            source: { repoURL: 'https://example.invalid/probe.git', path: '.' },
            destination: { server: 'https://kubernetes.default.svc', namespace: ns },
          },
        }),
      }),
    );
    await waitFor(
      'the policy to refuse a status write',
      async () =>
        kubectl([
          'patch',
          'application',
          'policy-probe',
          '-n',
          ns,
          '--subresource=status',
          '--type=merge',
          '-p',
          '{"status":{"reconciledAt":"2026-01-01T00:00:00Z"}}',
        ]).then(
          () => false,
          (err: unknown) => String(err).includes('blocked by the test'),
        ),
      { timeoutMs: 60_000 },
    );
    await kubectl(['delete', 'application', 'policy-probe', '-n', ns, '--wait=true']);
    // Records the controller's own report of each failed pass.
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (msg, fields) => {
        if (msg === 'reconcile failed') failures.push(String(fields?.['error'] ?? ''));
      },
      child: () => logger,
    };
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 3_600_000, logger }));
  });

  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', policy]).catch(
      () => {},
    );
    await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is tried again until it goes through, without any change to the app', async () => {
    const repo = uniqueName('requeue');
    await createRepo(git, repo, dir);
    const repoURL = git.repoUrl(repo);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'web', namespace: ns },
        spec: {
          project: 'default',
          source: { repoURL, targetRevision: 'main', path: '.' },
          destination: { server: 'https://kubernetes.default.svc', namespace: ns },
        },
      }),
    });
    // The policy is in force (checked above): the controller's first status write fails.
    await waitFor('a failed pass', async () => failures.some((e) => e.includes('blocked by the test')));
    const blocked = await getApp(ns, 'web');
    expect(blocked.status?.sync?.status).toBeUndefined();
    const rv = blocked.metadata.resourceVersion;

    await kubectl(['delete', 'validatingadmissionpolicybinding', policy]);
    const app = await waitForApp(
      ns,
      'web',
      'the status written by a retry',
      (a) => a.status?.sync?.status === 'OutOfSync',
    );
    expect(app.status?.resources?.map((r) => `${r.kind}/${r.name}`)).toEqual(['ConfigMap/settings']);
    // Nobody but the controller's retry touched it: the status write is the only change since.
    expect(Number(app.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
    expect(app.metadata.generation).toBe(blocked.metadata.generation);
  });
});
