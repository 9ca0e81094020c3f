import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError, type ApplicationSource } from '../core/index.js';
import { renderSource } from './index.js';
import { kustomizeEdits } from './kustomize.js';
import { names, only, tempDir, writeFiles } from './test-util.js';

let repo: string;
let cleanup: () => Promise<void>;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.0
`;

beforeEach(async () => {
  ({ dir: repo, cleanup } = await tempDir());
  await writeFiles(repo, {
    'base/kustomization.yaml': 'resources:\n  - deploy.yaml\n  - cm.yaml\n',
    'base/deploy.yaml': DEPLOYMENT,
    'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: "1"\n',
    'app/kustomization.yaml': 'resources:\n  - ../base\n',
  });
});
afterEach(() => cleanup());

const render = (p: string, kustomize?: ApplicationSource['kustomize']) =>
  renderSource({
    repoRoot: repo,
    appName: 'k',
    namespace: 'dest',
    source: { repoURL: 'https://example.com/r.git', path: p, ...(kustomize ? { kustomize } : {}) },
  });

describe('Kustomize sources', () => {
  it('applies spec.source.kustomize the way Argo CD does, on a copy', async () => {
    const r = await render('app', {
      images: ['nginx=registry.local/nginx:2.0'],
      namePrefix: 'p-',
      nameSuffix: '-s',
      commonLabels: { team: 'a' },
      commonAnnotations: { note: 'x,y' },
      replicas: [{ name: 'web', count: '4' }],
      namespace: 'ns1',
    });
    expect(r.warnings).toEqual([]);
    expect(names(r.objects)).toEqual(['ConfigMap ns1/p-settings-s', 'Deployment ns1/p-web-s']);
    const dep = only(r.objects, 'Deployment');
    expect(dep.spec.replicas).toBe(4);
    expect(dep.spec.template.spec.containers[0].image).toBe('registry.local/nginx:2.0');
    expect(dep.metadata.labels).toEqual({ team: 'a' });
    expect(dep.spec.selector.matchLabels).toEqual({ app: 'web', team: 'a' });
    expect(dep.metadata.annotations).toEqual({ note: 'x,y' });
    expect(await readFile(path.join(repo, 'app/kustomization.yaml'), 'utf8')).toBe(
      'resources:\n  - ../base\n',
    );
  });

  it('sets only a tag when the image override names no new image', async () => {
    const r = await render('app', { images: ['nginx:1.27'] });
    expect(only(r.objects, 'Deployment').spec.template.spec.containers[0].image).toBe('nginx:1.27');
  });

  it('builds the kustomize edit commands in Argo CD order', () => {
    expect(
      kustomizeEdits({
        namespace: 'n',
        commonAnnotations: { b: '2', a: '1' },
        commonLabels: { l: 'v' },
        replicas: [{ name: 'web', count: 3 }],
        images: ['img:1'],
        nameSuffix: '-s',
        namePrefix: '-p',
      }),
    ).toEqual([
      ['edit', 'set', 'nameprefix', '--', '-p'],
      ['edit', 'set', 'namesuffix', '--', '-s'],
      ['edit', 'set', 'image', 'img:1'],
      ['edit', 'set', 'replicas', 'web=3'],
      ['edit', 'add', 'label', 'l:v'],
      ['edit', 'add', 'annotation', 'a:1', 'b:2'],
      ['edit', 'set', 'namespace', '--', 'n'],
    ]);
    expect(() => kustomizeEdits({ replicas: [{ name: 'web', count: 'many' }] })).toThrow(
      new UserError('kustomize.replicas entry "web": count "many" is not a whole number'),
    );
  });

  it('detects kustomization.yml and Kustomization file names', async () => {
    await writeFiles(repo, {
      'yml/kustomization.yml': 'resources:\n  - ../base\nnamePrefix: yml-\n',
      'bare/Kustomization': 'resources:\n  - ../base\nnamePrefix: bare-\n',
    });
    expect(names((await render('yml')).objects)).toEqual(['ConfigMap yml-settings', 'Deployment yml-web']);
    expect(names((await render('bare', { nameSuffix: '-x' })).objects)).toEqual([
      'ConfigMap bare-settings-x',
      'Deployment bare-web-x',
    ]);
  });

  it('reports kustomize errors with repo-relative paths only', async () => {
    await writeFiles(repo, {
      'broken/kustomization.yaml': 'resources:\n  - ../base\npatches:\n  - path: nothere.yaml\n',
    });
    const err = (await render('broken').catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(
      "kustomize build broken failed: trouble configuring builtin PatchTransformer with config: `\npath: nothere.yaml\n`: failed to get the patch file from path(nothere.yaml): evalsymlink failure on 'broken/nothere.yaml' : lstat broken/nothere.yaml: no such file or directory",
    );
    expect(err.message).not.toContain('/tmp');
  });

  it('reports a failing kustomize edit', async () => {
    await writeFiles(repo, {
      'labelled/kustomization.yaml': 'resources:\n  - ../base\ncommonLabels:\n  team: x\n',
    });
    await expect(render('labelled', { commonLabels: { team: 'y' } })).rejects.toThrow(
      new UserError(
        'kustomize edit add label failed in labelled: label team already in kustomization file. Set spec.source.kustomize.forceCommonLabels: true to override.',
      ),
    );
    const forced = await render('labelled', {
      commonLabels: { team: 'y' },
      forceCommonLabels: true,
    } as never);
    expect(only(forced.objects, 'Deployment').metadata.labels).toEqual({ team: 'y' });
  });

  it('refuses a resource, base or patch path that leads outside the repository', async () => {
    await writeFiles(repo, {
      'up/kustomization.yaml': 'resources:\n  - ../../elsewhere\n',
      'abs/kustomization.yaml': 'resources:\n  - /etc\n',
      'patch/kustomization.yaml': 'resources:\n  - ../base\npatches:\n  - path: ../../secret.yaml\n',
      'nested/kustomization.yaml': 'resources:\n  - ../up\n',
    });
    await expect(render('up')).rejects.toThrow(
      new UserError('up/kustomization.yaml: resources entry "../../elsewhere" leads outside the repository'),
    );
    await expect(render('abs')).rejects.toThrow(
      new UserError('abs/kustomization.yaml: resources entry "/etc" leads outside the repository'),
    );
    await expect(render('patch')).rejects.toThrow(
      new UserError(
        'patch/kustomization.yaml: patches entry "../../secret.yaml" leads outside the repository',
      ),
    );
    await expect(render('nested')).rejects.toThrow(
      new UserError('up/kustomization.yaml: resources entry "../../elsewhere" leads outside the repository'),
    );
  });

  it('refuses remote bases', async () => {
    await writeFiles(repo, {
      'remote/kustomization.yaml':
        'resources:\n  - https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0\n',
    });
    await expect(render('remote')).rejects.toThrow(
      new UserError(
        'remote/kustomization.yaml: resources entry "https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0" is remote; Mooring renders only what is in the repository',
      ),
    );
  });

  it('passes on warnings kustomize prints', async () => {
    await writeFiles(repo, {
      'old/kustomization.yaml': 'resources:\n  - ../base\ncommonLabels:\n  team: x\n',
    });
    const r = await render('old');
    expect(r.warnings).toEqual([
      "kustomize: Warning: 'commonLabels' is deprecated. Please use 'labels' instead. Run 'kustomize edit fix' to update your Kustomization automatically.",
    ]);
  });
});
