import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UserError, type ApplicationSource } from '../core/index.js';
import { renderSource } from './index.js';
import { withWorkspace } from './workspace.js';
import { HELM_REPO, SEED_REPO, configMap, copyFixture, names, tempDir, writeFiles } from './test-util.js';

let root: string;
let repo: string;
let outside: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
  repo = path.join(root, 'repo');
  outside = path.join(root, 'outside');
  await writeFiles(outside, {
    'secret.yaml': configMap('stolen', 'data:\n  password: hunter2\n'),
    'kustomization.yaml': 'resources:\n  - secret.yaml\n',
  });
  await copyFixture(SEED_REPO, repo);
});
afterEach(() => cleanup());

const render = (p: string, extra: Partial<ApplicationSource> = {}) =>
  renderSource({ repoRoot: repo, appName: 'a', source: { repoURL: 'u', path: p, ...extra } });

describe('paths and symlinks that leave the repository', () => {
  it('refuses an app path that is, or passes through, a symlink to outside', async () => {
    await symlink(outside, path.join(repo, 'evil'));
    await expect(render('evil')).rejects.toThrow(
      new UserError('app path "evil" leads outside the repository'),
    );
    await expect(render('evil/sub')).rejects.toThrow(
      new UserError('app path "evil/sub" leads outside the repository'),
    );
  });

  it('refuses app paths that climb out or are absolute, and explains missing ones', async () => {
    await expect(render('../outside')).rejects.toThrow(
      new UserError('app path "../outside" leads outside the repository'),
    );
    await expect(render('base/../../outside')).rejects.toThrow(
      new UserError('app path "base/../../outside" leads outside the repository'),
    );
    await expect(render(outside)).rejects.toThrow(
      new UserError(`app path "${outside}" is absolute; it must be relative to the repository root`),
    );
    await expect(render('overlays/prod')).rejects.toThrow(
      new UserError('app path "overlays/prod" does not exist in the repository'),
    );
    await expect(render('base/deployment.yaml')).rejects.toThrow(
      new UserError('app path "base/deployment.yaml" is not a directory'),
    );
  });

  it('refuses a symlink to outside inside a kustomize base', async () => {
    await symlink(path.join(outside, 'secret.yaml'), path.join(repo, 'base', 'secret.yaml'));
    await writeFile(
      path.join(repo, 'base/kustomization.yaml'),
      'resources:\n  - deployment.yaml\n  - service.yaml\n  - configmap.yaml\n  - secret.yaml\n',
    );
    const err = await render('overlays/staging').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('symlink "base/secret.yaml" leads outside the repository');
    expect((err as UserError).conditionType).toBe('ComparisonError');
  });

  it('refuses a base that is a symlinked directory outside the repository', async () => {
    await symlink(outside, path.join(repo, 'shared'));
    await writeFiles(repo, { 'overlays/leak/kustomization.yaml': 'resources:\n  - ../../shared\n' });
    await expect(render('overlays/leak')).rejects.toThrow(
      new UserError('symlink "shared" leads outside the repository'),
    );
  });

  it('refuses a Helm value file that is a symlink to outside', async () => {
    const { dir, cleanup: done } = await tempDir();
    try {
      await copyFixture(HELM_REPO, dir);
      await symlink(path.join(outside, 'secret.yaml'), path.join(dir, 'charts/demo/evil-values.yaml'));
      await expect(
        renderSource({
          repoRoot: dir,
          appName: 'a',
          source: { repoURL: 'u', path: 'charts/demo', helm: { valueFiles: ['evil-values.yaml'] } },
        }),
      ).rejects.toThrow(new UserError('helm value file "evil-values.yaml" leads outside the repository'));
    } finally {
      await done();
    }
  });

  it('refuses a manifest symlinked from outside in a Directory app, and follows symlinks inside', async () => {
    await mkdir(path.join(repo, 'plain'));
    await symlink('../base/configmap.yaml', path.join(repo, 'plain', 'cm.yaml'));
    await symlink('../nowhere.yaml', path.join(repo, 'plain', 'gone.yaml'));
    const ok = await render('plain');
    expect(names(ok.objects)).toEqual(['ConfigMap myapp-config']);
    expect(ok.warnings).toEqual([
      "plain/gone.yaml: the symlink's destination is missing; the file was skipped",
    ]);

    await symlink(path.join(outside, 'secret.yaml'), path.join(repo, 'plain', 'leak.yaml'));
    await expect(render('plain')).rejects.toThrow(
      new UserError('symlink "plain/leak.yaml" leads outside the repository'),
    );
  });

  it('renders through symlinks that stay inside the repository', async () => {
    await symlink('base', path.join(repo, 'base-link'));
    await writeFiles(repo, {
      'overlays/linked/kustomization.yaml': 'resources:\n  - ../../base-link\nnamespace: linked\n',
    });
    const r = await render('overlays/linked');
    expect(names(r.objects)).toEqual([
      'ConfigMap linked/myapp-config',
      'Service linked/myapp',
      'Deployment linked/myapp',
    ]);
    const viaLink = await render('base-link');
    expect(viaLink.objects).toHaveLength(3);
  });

  it('leaves no temporary directories behind, even after a failure', async () => {
    const tmp = path.join(root, 'tmp');
    await mkdir(tmp);
    vi.stubEnv('TMPDIR', tmp);
    try {
      await render('overlays/production');
      await writeFiles(repo, { 'overlays/bad/kustomization.yaml': 'resources:\n  - missing.yaml\n' });
      await expect(render('overlays/bad')).rejects.toThrow(UserError);
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('a render bounded to its inputs (RenderRequest.bounded)', () => {
  const bounded = (paths: string[], links: string[] = []) => ({ paths, links });

  it('renders the same objects from a copy of the inputs only, and tools see nothing else', async () => {
    const whole = await render('overlays/production');
    const inputs = ['base', 'overlays/production'];
    const only = await renderSource({
      repoRoot: repo,
      appName: 'a',
      source: { repoURL: 'u', path: 'overlays/production' },
      bounded: bounded(inputs),
    });
    expect(only.objects).toEqual(whole.objects);
    // What the tools were given: the inputs and their parent directories, no other app's files.
    const seen: string[] = [];
    await withWorkspace(
      repo,
      {},
      async (ws) => {
        for (const e of await readdir(ws.copyRoot, { recursive: true }))
          seen.push(e.split(path.sep).join('/'));
      },
      inputs,
    );
    expect(seen.sort()).toEqual([
      'base',
      'base/configmap.yaml',
      'base/deployment.yaml',
      'base/kustomization.yaml',
      'base/service.yaml',
      'overlays',
      'overlays/production',
      'overlays/production/kustomization.yaml',
      'overlays/production/replica-patch.yaml',
    ]);
  });

  it('still refuses the render when a symlink elsewhere in the repository leads outside, as a whole checkout', async () => {
    await symlink(outside, path.join(repo, 'overlays', 'evil'));
    await expect(
      renderSource({
        repoRoot: repo,
        appName: 'a',
        source: { repoURL: 'u', path: 'overlays/production' },
        bounded: bounded(['base', 'overlays/production'], ['overlays/evil']),
      }),
    ).rejects.toThrow(new UserError('symlink "overlays/evil" leads outside the repository'));
  });
});

describe('source type', () => {
  it('refuses more than one explicit type, and plugins', async () => {
    await expect(render('base', { kustomize: {}, helm: {} })).rejects.toThrow(
      new UserError('multiple application sources defined: Kustomize,Helm'),
    );
    await expect(render('base', { plugin: { name: 'x' } })).rejects.toThrow(
      new UserError('config management plugins (spec.source.plugin) are not supported by Mooring'),
    );
  });

  it('lets an explicit directory block override kustomization detection', async () => {
    const r = await render('overlays/staging', { directory: {} });
    expect(r.sourceType).toBe('Directory');
    expect(r.objects.map((o) => o.kind)).toEqual(['Deployment', 'Kustomization']);
  });
});
