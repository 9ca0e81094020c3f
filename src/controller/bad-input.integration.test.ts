import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../core/index.js';
import { kubectl, uniqueName } from '../../test/harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../../test/harness/git-repo.js';
import { repoSecret, startTestController, suiteGitServer, waitForApp } from '../../test/harness/suite.js';

const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: blue
`;

// Bad input never loses the last known state: each case starts from a good comparison, breaks one
// thing, and expects a condition a user can act on while sync status, revision and resources stay.
describe('read path: bad input', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-bad');
  let stop: () => Promise<void>;
  let seedDir: string;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    seedDir = await mkdtemp(join(tmpdir(), 'mooring-bad-seed-'));
    await writeFile(join(seedDir, 'configmap.yaml'), CONFIGMAP);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });

  afterAll(async () => {
    await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => {});
    await stop?.();
    await rm(seedDir, { recursive: true, force: true });
  });

  /** A repo with one ConfigMap, an app on it, and the app's first (good) comparison. */
  async function goodApp(
    name: string,
    spec: Record<string, unknown> = {},
  ): Promise<{ app: Application; work: WorkingCopy; repoURL: string; secretName: string }> {
    const repo = uniqueName(name);
    await createRepo(git, repo, seedDir);
    const repoURL = git.repoUrl(repo);
    const secret = repoSecret(ns, repoURL);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(secret) });
    const manifest = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: ns },
      spec: {
        project: 'default',
        source: { repoURL, targetRevision: 'main', path: '.' },
        destination: { server: 'https://kubernetes.default.svc', namespace: `${ns}-${name}` },
        ...spec,
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    const app = await waitForApp(ns, name, 'first comparison', (a) => a.status?.sync?.status === 'OutOfSync');
    expect(app.status?.resources?.map((r) => r.name)).toEqual(['settings']);
    return { app, work: await cloneRepo(git, repo), repoURL, secretName: secret.metadata.name! };
  }

  /** Waits for a condition and checks that the last known state is still reported. */
  async function expectCondition(name: string, before: Application, type: string, message: string | RegExp) {
    const app = await waitForApp(ns, name, `a ${type} condition`, (a) =>
      (a.status?.conditions ?? []).some(
        (c) =>
          c.type === type && (typeof message === 'string' ? c.message === message : message.test(c.message)),
      ),
    );
    expect(app.status?.sync?.status).toBe(before.status?.sync?.status);
    expect(app.status?.sync?.revision).toBe(before.status?.sync?.revision);
    expect(app.status?.resources).toEqual(before.status?.resources);
    return app;
  }

  async function patchApp(name: string, patch: unknown) {
    await kubectl(['patch', 'application', name, '-n', ns, '--type=merge', '-p', JSON.stringify(patch)]);
  }

  it('reports a spec without repoURL and an unknown project as InvalidSpecError', async () => {
    const bad = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'no-repo', namespace: ns },
      spec: {
        project: 'default',
        source: { path: '.' },
        destination: { server: 'https://kubernetes.default.svc', namespace: ns },
      },
    };
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(bad) });
    const app = await waitForApp(ns, 'no-repo', 'InvalidSpecError', (a) =>
      Boolean(a.status?.conditions?.length),
    );
    expect(app.status?.conditions?.map((c) => [c.type, c.message])).toEqual([
      [
        'InvalidSpecError',
        'spec.source.repoURL is required: set it to the Git repository that holds the manifests',
      ],
    ]);
    expect(app.status?.sync?.status).toBe('Unknown');

    const noProject = { ...bad, metadata: { name: 'no-project', namespace: ns } };
    noProject.spec = {
      ...bad.spec,
      project: 'nope',
      source: { repoURL: 'https://example.com/x.git', path: '.' },
    } as typeof bad.spec;
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(noProject) });
    const app2 = await waitForApp(ns, 'no-project', 'InvalidSpecError', (a) =>
      Boolean(a.status?.conditions?.length),
    );
    expect(app2.status?.conditions?.[0]?.message).toBe(
      'application references project "nope" which does not exist: create the AppProject or use "default"',
    );
  });

  it('reports invalid YAML in a commit, naming the file', async () => {
    const { app, work } = await goodApp('broken-yaml');
    await work.writeFile(
      'broken.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [unclosed\n',
    );
    await work.commit('break it');
    await work.push();
    const after = await expectCondition('broken-yaml', app, 'ComparisonError', /broken\.yaml/);
    expect(after.status?.conditions?.find((c) => c.type === 'ComparisonError')?.message).toMatch(/line \d+/);
    await work.dispose();
  });

  it('reports an unknown kind', async () => {
    const { app, work } = await goodApp('unknown-kind');
    await work.writeFile('widget.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n');
    await work.commit('add a kind the cluster does not know');
    await work.push();
    const after = await waitForApp(ns, 'unknown-kind', 'unknown kind condition', (a) =>
      (a.status?.conditions ?? []).some((c) => c.type === 'ComparisonError'),
    );
    expect(after.status?.conditions?.find((c) => c.type === 'ComparisonError')?.message).toBe(
      'Widget w: the cluster has no kind Widget in example.com/v1; install its CustomResourceDefinition or fix apiVersion/kind',
    );
    expect(app.status?.resources?.length).toBe(1);
    await work.dispose();
  });

  it('reports a missing path', async () => {
    const { app } = await goodApp('missing-path');
    await patchApp('missing-path', { spec: { source: { path: 'overlays/nope' } } });
    await expectCondition(
      'missing-path',
      app,
      'ComparisonError',
      'app path "overlays/nope" does not exist in the repository',
    );
  });

  it('reports an unknown revision', async () => {
    const { app, repoURL } = await goodApp('unknown-rev');
    await patchApp('unknown-rev', { spec: { source: { targetRevision: 'v9.9.9' } } });
    await expectCondition(
      'unknown-rev',
      app,
      'ComparisonError',
      `revision "v9.9.9" not found in ${repoURL} (no branch, tag or commit by that name)`,
    );
  });

  it('reports an unreachable repository', async () => {
    const { app } = await goodApp('unreachable');
    await patchApp('unreachable', { spec: { source: { repoURL: 'http://127.0.0.1:9/nothing.git' } } });
    await expectCondition(
      'unreachable',
      app,
      'ComparisonError',
      /^cannot reach http:\/\/127\.0\.0\.1:9\/nothing\.git/,
    );
  });

  it('reports wrong credentials without revealing them', async () => {
    const { app, secretName } = await goodApp('wrong-creds');
    await kubectl([
      'patch',
      'secret',
      secretName,
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ stringData: { password: 'definitely-wrong-password' } }),
    ]);
    const after = await expectCondition('wrong-creds', app, 'ComparisonError', /^authentication failed for /);
    expect(JSON.stringify(after)).not.toContain('definitely-wrong-password');
  });

  it('refuses a symlink that leads out of the repository', async () => {
    const { app, work } = await goodApp('symlink');
    await work.symlink('/etc/passwd', 'passwd.yaml');
    await work.commit('link outside');
    await work.push();
    const after = await expectCondition('symlink', app, 'ComparisonError', /passwd\.yaml/);
    expect(JSON.stringify(after)).not.toContain('root:x:0:0');
    await work.dispose();
  });
});
