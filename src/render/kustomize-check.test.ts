import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError, type ApplicationSource } from '../core/index.js';
import { renderSource, type RenderOptions } from './index.js';
import { isRemoteReference } from './kustomize-check.js';
import { configMap, names, tempDir, writeFiles } from './test-util.js';

let root: string;
let repo: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
  repo = path.join(root, 'repo');
  // Another tenant's checkout beside this one: what an escape would reach.
  await writeFiles(root, {
    'other-tenant/component/kustomization.yaml':
      'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - stolen.yaml\n',
    'other-tenant/component/stolen.yaml': configMap('stolen', 'data:\n  password: hunter2\n'),
    'other-tenant/secret.env': 'password=hunter2\n',
  });
  await writeFiles(repo, {
    'base/kustomization.yaml': 'resources:\n  - cm.yaml\n',
    'base/cm.yaml': configMap('settings', 'data:\n  a: "1"\n'),
    'components/extra/kustomization.yaml':
      'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - extra.yaml\n',
    'components/extra/extra.yaml': configMap('extra'),
  });
});
afterEach(() => cleanup());

/** A kustomize that records that it ran: a refusal must come before any tool runs. */
async function recordingKustomize(): Promise<{ bin: string; ran: () => Promise<boolean> }> {
  const bin = path.join(root, 'recording-kustomize');
  const mark = path.join(root, 'kustomize-ran');
  await writeFile(bin, `#!/bin/sh\ntouch '${mark}'\nexit 1\n`);
  await chmod(bin, 0o755);
  return {
    bin,
    ran: () =>
      stat(mark).then(
        () => true,
        () => false,
      ),
  };
}

const render = (p: string, kustomize?: Record<string, unknown>, opts: RenderOptions = {}) =>
  renderSource(
    {
      repoRoot: repo,
      appName: 'k',
      source: {
        repoURL: 'u',
        path: p,
        ...(kustomize ? { kustomize: kustomize as ApplicationSource['kustomize'] } : {}),
      },
    },
    opts,
  );

async function refusal(p: string, kustomize?: Record<string, unknown>): Promise<string> {
  const tool = await recordingKustomize();
  const err = await render(p, kustomize, { tools: { kustomize: tool.bin } }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  expect(await tool.ran()).toBe(false);
  return (err as UserError).message;
}

describe('isRemoteReference', () => {
  it('knows every remote form kustomize reads', () => {
    for (const remote of [
      'https://github.com/org/repo//deploy?ref=v1',
      'http://example.com/base.yaml',
      'ssh://git@example.com/org/repo.git',
      'git::https://example.com/org/repo.git',
      'git@github.com:org/repo.git',
      'deploy@git.internal:org/repo.git',
      'git.internal.example:org/repo.git',
      'github.com/org/repo/deploy',
      'gitlab.com/org/repo',
      'gh:org/repo',
      'dev.azure.com/org/project/_git/repo',
      'base?ref=main',
      'file:///etc',
      'oci://registry.example/base',
    ]) {
      expect([remote, isRemoteReference(remote)]).toEqual([remote, true]);
    }
    for (const local of ['base', '../base', './deploy.yaml', 'a/b:c.yaml', 'configs/app.env', 'x@y/z']) {
      expect([local, isRemoteReference(local)]).toEqual([local, false]);
    }
  });
});

describe('spec.source.kustomize.components', () => {
  it('adds components inside the repository, relative to the app path', async () => {
    const r = await render('base', { components: ['../components/extra'] });
    expect(names(r.objects)).toEqual(['ConfigMap extra', 'ConfigMap settings']);
  });

  it('refuses one that climbs out of the repository, before kustomize runs', async () => {
    expect(await refusal('base', { components: ['../../other-tenant/component'] })).toBe(
      'spec.source.kustomize.components entry "../../other-tenant/component" leads outside the repository',
    );
    expect(await refusal('base', { components: [path.join(root, 'other-tenant/component')] })).toBe(
      `spec.source.kustomize.components entry "${path.join(root, 'other-tenant/component')}" leads outside the repository`,
    );
  });

  it('refuses remote and missing ones; ignoreMissingComponents leaves the missing out', async () => {
    expect(await refusal('base', { components: ['git@github.com:org/components.git//extra'] })).toBe(
      'spec.source.kustomize.components entry "git@github.com:org/components.git//extra" is remote; Mooring renders only what is in the repository',
    );
    expect(await refusal('base', { components: ['../components/nope'] })).toBe(
      'spec.source.kustomize.components entry "../components/nope" does not exist in the repository',
    );
    const r = await render('base', {
      components: ['../components/nope', '../components/extra'],
      ignoreMissingComponents: true,
    });
    expect(names(r.objects)).toEqual(['ConfigMap extra', 'ConfigMap settings']);
  });
});

describe('kustomization references', () => {
  it('refuses every remote form in resources, bases and components, naming the file and field', async () => {
    const cases: [string, string][] = [
      ['resources', 'deploy@git.internal:org/repo.git'],
      ['resources', 'https://example.com/org/repo//base?ref=v1'],
      ['resources', 'github.com/org/repo/base?ref=v1'],
      ['bases', 'ssh://git@example.com/org/repo.git'],
      ['components', 'git::https://example.com/org/repo.git//c'],
    ];
    for (const [field, entry] of cases) {
      await writeFiles(repo, { 'remote/kustomization.yaml': `${field}:\n  - ${entry}\n` });
      expect(await refusal('remote')).toBe(
        `remote/kustomization.yaml: ${field} entry "${entry}" is remote; Mooring renders only what is in the repository`,
      );
    }
  });

  it('refuses a remote-looking entry even when a local directory has that name (kustomize tries remote first)', async () => {
    await writeFiles(repo, {
      'github.com/org/repo/kustomization.yaml': 'resources: []\n',
      'shadow/kustomization.yaml': 'resources:\n  - ../github.com/org/repo\n',
      'direct/kustomization.yaml': 'resources:\n  - github.com/org/repo\n',
    });
    await writeFiles(path.join(repo, 'direct'), {
      'github.com/org/repo/kustomization.yaml': 'resources: []\n',
    });
    expect(await refusal('direct')).toBe(
      'direct/kustomization.yaml: resources entry "github.com/org/repo" is remote; Mooring renders only what is in the repository',
    );
  });

  it('refuses a resource or component that does not exist, which kustomize would try as a remote', async () => {
    await writeFiles(repo, { 'missing/kustomization.yaml': 'resources:\n  - nothere\n' });
    expect(await refusal('missing')).toBe(
      'missing/kustomization.yaml: resources entry "nothere" does not exist in the repository',
    );
  });

  it('refuses each file field that leads outside the repository', async () => {
    const cases: [string, string, string][] = [
      ['resources', 'resources:\n  - ../../other-tenant/component\n', '../../other-tenant/component'],
      ['components', 'components:\n  - ../../other-tenant/component\n', '../../other-tenant/component'],
      ['patchesStrategicMerge', 'patchesStrategicMerge:\n  - ../../p.yaml\n', '../../p.yaml'],
      [
        'patchesJson6902',
        'patchesJson6902:\n  - path: ../../p.yaml\n    target: {kind: X, name: y}\n',
        '../../p.yaml',
      ],
      ['crds', 'crds:\n  - ../../crd.json\n', '../../crd.json'],
      ['configurations', 'configurations:\n  - /etc/passwd\n', '/etc/passwd'],
      ['replacements', 'replacements:\n  - path: ../../r.yaml\n', '../../r.yaml'],
      [
        'configMapGenerator',
        'configMapGenerator:\n  - name: c\n    files:\n      - key=../../other-tenant/secret.env\n',
        '../../other-tenant/secret.env',
      ],
      [
        'configMapGenerator',
        'configMapGenerator:\n  - name: c\n    envs:\n      - ../../other-tenant/secret.env\n',
        '../../other-tenant/secret.env',
      ],
      [
        'secretGenerator',
        'secretGenerator:\n  - name: s\n    env: ../../other-tenant/secret.env\n',
        '../../other-tenant/secret.env',
      ],
      ['openapi', 'openapi:\n  path: ../../schema.json\n', '../../schema.json'],
      ['helmGlobals.chartHome', 'helmGlobals:\n  chartHome: ../../charts\n', '../../charts'],
      [
        'helmCharts valuesFile',
        'helmCharts:\n  - name: c\n    valuesFile: ../../values.yaml\n',
        '../../values.yaml',
      ],
      [
        'helmCharts additionalValuesFiles',
        'helmCharts:\n  - name: c\n    additionalValuesFiles: [../../v.yaml]\n',
        '../../v.yaml',
      ],
    ];
    for (const [field, text, entry] of cases) {
      await writeFiles(repo, { 'leak/kustomization.yaml': text });
      expect(await refusal('leak')).toBe(
        `leak/kustomization.yaml: ${field} entry "${entry}" leads outside the repository`,
      );
    }
  });

  it('refuses paths named in generator and transformer configurations, and chart repositories', async () => {
    await writeFiles(repo, {
      'plugins/kustomization.yaml': 'resources:\n  - ../base\ntransformers:\n  - patch.yaml\n',
      'plugins/patch.yaml':
        'apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: p\npath: ../../other-tenant/component/stolen.yaml\n',
      'gen/kustomization.yaml': 'generators:\n  - gen.yaml\n',
      'gen/gen.yaml':
        'apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: g\nenvs:\n  - ../../other-tenant/secret.env\n',
      'chart/kustomization.yaml': 'helmCharts:\n  - name: redis\n    repo: https://charts.example.com\n',
    });
    expect(await refusal('plugins')).toBe(
      'plugins/patch.yaml: path entry "../../other-tenant/component/stolen.yaml" leads outside the repository',
    );
    expect(await refusal('gen')).toBe(
      'gen/gen.yaml: envs entry "../../other-tenant/secret.env" leads outside the repository',
    );
    expect(await refusal('chart')).toBe(
      'chart/kustomization.yaml: helmCharts entry repo "https://charts.example.com" is remote; Mooring renders only what is in the repository (vendor the chart)',
    );
  });

  it('refuses an alias bomb in a kustomization before kustomize parses it', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [i, c] of [...'bcdefghi'].entries()) {
      const prev = 'abcdefghi'[i]!;
      levels.push(`${c}: &${c} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    await writeFiles(repo, {
      'bomb/kustomization.yaml': `resources:\n  - ../base\ncommonAnnotations:\n${levels.map((l) => `  ${l}`).join('\n')}\n`,
    });
    const message = await refusal('bomb');
    expect(message).toMatch(/^bomb\/kustomization\.yaml: invalid YAML: Excessive alias count/);
  });

  it('leaves the repository untouched and renders what stays inside', async () => {
    await writeFiles(repo, {
      'ok/kustomization.yaml':
        'resources:\n  - ../base\nconfigMapGenerator:\n  - name: env\n    envs:\n      - app.env\n',
      'ok/app.env': 'mode=prod\n',
    });
    const r = await render('ok');
    expect(r.objects.map((o) => o.kind)).toEqual(['ConfigMap', 'ConfigMap']);
    expect(await readFile(path.join(repo, 'ok/kustomization.yaml'), 'utf8')).toContain('app.env');
  });
});
