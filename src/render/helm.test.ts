import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError, type ApplicationSource } from '../core/index.js';
import { escapeSetValue, helmTemplateArgs } from './helm.js';
import { renderSource, type RenderRequest } from './index.js';
import { HELM_REPO, copyFixture, names, only, tempDir, writeFiles } from './test-util.js';

let repo: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: repo, cleanup } = await tempDir());
  await copyFixture(HELM_REPO, repo);
});
afterEach(() => cleanup());

const req = (helm?: ApplicationSource['helm'], extra: Partial<RenderRequest> = {}): RenderRequest => ({
  repoRoot: repo,
  appName: 'shop',
  namespace: 'web',
  source: { repoURL: 'https://example.com/charts.git', path: 'charts/demo', ...(helm ? { helm } : {}) },
  ...extra,
});

describe('Helm sources', () => {
  it('detects a chart and renders it with the app name as release name, CRDs included', async () => {
    const r = await renderSource(req());
    expect(r.sourceType).toBe('Helm');
    expect(r.warnings).toEqual([]);
    expect(names(r.objects)).toEqual([
      'ConfigMap shop-settings',
      'CustomResourceDefinition widgets.example.com',
      'Deployment web/shop-demo',
    ]);
    const cm = only(r.objects, 'ConfigMap');
    expect(cm.data).toMatchObject({ message: 'hello', greeting: 'hi', hasWidgets: 'false' });
    expect(only(r.objects, 'Deployment').spec.replicas).toBe(1);
  });

  it('applies valueFiles, values, parameters, releaseName and skipCrds', async () => {
    const r = await renderSource(
      req({
        releaseName: 'rel',
        valueFiles: ['values-prod.yaml', '/envs/shared.yaml'],
        values: 'image:\n  tag: "2.0"\n',
        parameters: [
          { name: 'extra', value: 'a,b' },
          { name: 'image.repository', value: 'registry.local/nginx' },
        ],
        skipCrds: true,
      }),
    );
    expect(names(r.objects)).toEqual(['ConfigMap rel-settings', 'Deployment web/rel-demo']);
    const dep = only(r.objects, 'Deployment');
    expect(dep.spec.replicas).toBe(3);
    expect(dep.spec.template.spec.containers[0].image).toBe('registry.local/nginx:2.0');
    expect(only(r.objects, 'ConfigMap').data).toMatchObject({
      message: 'from values-prod.yaml',
      greeting: 'from envs/shared.yaml',
      extra: 'a,b',
    });
  });

  it('prefers valuesObject over values, and distinguishes --set from --set-string', async () => {
    const r = await renderSource(
      req({
        values: 'message: from values\n',
        valuesObject: { message: 'from valuesObject', replicaCount: 2 },
        parameters: [{ name: 'extra', value: '123' }],
      }),
    );
    expect(only(r.objects, 'Deployment').spec.replicas).toBe(2);
    expect(only(r.objects, 'ConfigMap').data).toMatchObject({
      message: 'from valuesObject',
      extraType: 'int64',
    });
    const s = await renderSource(req({ parameters: [{ name: 'extra', value: '123', forceString: true }] }));
    expect(only(s.objects, 'ConfigMap').data).toMatchObject({ extra: '123', extraType: 'string' });
  });

  // Argo CD, `argocd app set --helm-set-file`: "Helm set values from respective files specified via the
  // command line" — spec.source.helm.fileParameters, each path relative to the chart folder.
  it('reads fileParameters from files of the chart (or the repository root), never outside', async () => {
    await writeFiles(repo, { 'charts/demo/files/extra.txt': 'from a file', 'shared/extra.txt': 'shared' });
    const r = await renderSource(req({ fileParameters: [{ name: 'extra', path: 'files/extra.txt' }] }));
    expect(only(r.objects, 'ConfigMap').data).toMatchObject({ extra: 'from a file', extraType: 'string' });
    const root = await renderSource(req({ fileParameters: [{ name: 'extra', path: '/shared/extra.txt' }] }));
    expect(only(root.objects, 'ConfigMap').data).toMatchObject({ extra: 'shared' });
    await expect(
      renderSource(req({ fileParameters: [{ name: 'extra', path: '../../../etc/passwd' }] })),
    ).rejects.toThrow(
      new UserError('helm file parameter "../../../etc/passwd" leads outside the repository'),
    );
    await expect(
      renderSource(req({ fileParameters: [{ name: 'extra', path: 'nope.txt' }] })),
    ).rejects.toThrow(new UserError('helm file parameter "nope.txt" does not exist in the repository'));
  });

  it('passes the cluster version and API versions', async () => {
    const r = await renderSource(req(undefined, { kubeVersion: 'v1.31.4', apiVersions: ['example.com/v1'] }));
    expect(only(r.objects, 'ConfigMap').data).toMatchObject({ kubeVersion: 'v1.31.4', hasWidgets: 'true' });
  });

  it('skips missing value files only with ignoreMissingValueFiles', async () => {
    await expect(renderSource(req({ valueFiles: ['values-missing.yaml'] }))).rejects.toThrow(
      new UserError('helm value file "values-missing.yaml" does not exist in the repository'),
    );
    const r = await renderSource(req({ valueFiles: ['values-missing.yaml'], ignoreMissingValueFiles: true }));
    expect(only(r.objects, 'Deployment').spec.replicas).toBe(1);
  });

  it('refuses value files outside the repository and remote ones', async () => {
    await expect(renderSource(req({ valueFiles: ['../../../etc/passwd'] }))).rejects.toThrow(
      new UserError('helm value file "../../../etc/passwd" leads outside the repository'),
    );
    await expect(renderSource(req({ valueFiles: ['https://example.com/values.yaml'] }))).rejects.toThrow(
      new UserError(
        'helm value file "https://example.com/values.yaml" is a URL; Mooring reads value files only from the repository',
      ),
    );
  });

  it('refuses value files given as other sources, absolute paths that climb out, and a symlink out', async () => {
    await expect(renderSource(req({ valueFiles: ['$values/env/prod.yaml'] }))).rejects.toThrow(
      new UserError(
        'helm value file "$values/env/prod.yaml" refers to source "$values", but no source of the application has ref: values: add ref: values to the source that holds the file',
      ),
    );
    // A leading "/" means the repository root, never the controller's filesystem root.
    await expect(renderSource(req({ valueFiles: ['/etc/passwd'] }))).rejects.toThrow(
      new UserError('helm value file "/etc/passwd" does not exist in the repository'),
    );
    await expect(renderSource(req({ valueFiles: ['/../../etc/passwd'] }))).rejects.toThrow(
      new UserError('helm value file "/../../etc/passwd" does not exist in the repository'),
    );
  });

  // Argo CD, "Multiple Sources for an Application": "the parameter `ref: values` maps to the variable
  // `$values`, which resolves to the root of the `value-files` repository."
  it("reads $ref value files from the ref source's checkout root, in order, and nothing outside it", async () => {
    const values = path.join(path.dirname(repo), `values-${path.basename(repo)}`);
    await writeFiles(values, {
      'envs/prod/values.yaml': 'replicaCount: 4\nmessage: from the values repo\n',
      'secret.txt': 'not a values file of this app\n',
    });
    const refSources = { values };
    const r = await renderSource(
      req({ valueFiles: ['values-prod.yaml', '$values/envs/prod/values.yaml'] }, { refSources }),
    );
    expect(only(r.objects, 'Deployment').spec.replicas).toBe(4);
    expect(only(r.objects, 'ConfigMap').data).toMatchObject({ message: 'from the values repo' });
    // Later value files win: the chart's own file after the ref's.
    const back = await renderSource(
      req({ valueFiles: ['$values/envs/prod/values.yaml', 'values-prod.yaml'] }, { refSources }),
    );
    expect(only(back.objects, 'Deployment').spec.replicas).toBe(3);
    await expect(
      renderSource(
        req({ valueFiles: ['$values/../' + path.basename(repo) + '/Chart.yaml'] }, { refSources }),
      ),
    ).rejects.toThrow(/leads outside the repository/);
    await writeFiles(values, {});
    const { symlink } = await import('node:fs/promises');
    await symlink('/etc/passwd', path.join(values, 'out.yaml'));
    await expect(renderSource(req({ valueFiles: ['$values/out.yaml'] }, { refSources }))).rejects.toThrow(
      /leads outside the repository/,
    );
    await expect(renderSource(req({ valueFiles: ['$values/missing.yaml'] }, { refSources }))).rejects.toThrow(
      new UserError(
        'helm value file (source values) "$values/missing.yaml" does not exist in the repository',
      ),
    );
    const skipped = await renderSource(
      req({ valueFiles: ['$values/missing.yaml'], ignoreMissingValueFiles: true }, { refSources }),
    );
    expect(only(skipped.objects, 'Deployment').spec.replicas).toBe(1);
  });

  it("gives templates only the chart's own files: .Files cannot read the repository or the machine", async () => {
    await writeFiles(repo, {
      'secret-beside-chart.txt': 'MARKER-REPO',
      'charts/reader/Chart.yaml': 'apiVersion: v2\nname: reader\nversion: 0.1.0\n',
      'charts/reader/own.txt': 'MARKER-OWN',
      'charts/reader/templates/cm.yaml': [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: reader',
        'data:',
        '  own: {{ .Files.Get "own.txt" | quote }}',
        '  up: {{ .Files.Get "../../secret-beside-chart.txt" | quote }}',
        '  abs: {{ .Files.Get "/etc/hostname" | quote }}',
        '  all: "{{ range $p, $_ := .Files.Glob "**" }}{{ $p }},{{ end }}"',
        '',
      ].join('\n'),
    });
    const r = await renderSource({ ...req(), source: { repoURL: 'u', path: 'charts/reader' } });
    expect(only(r.objects, 'ConfigMap').data).toEqual({
      own: 'MARKER-OWN',
      up: '',
      abs: '',
      all: 'own.txt,',
    });
  });

  it('never follows chart dependencies out of the repository or to a chart repository', async () => {
    await writeFiles(path.dirname(repo), {
      'outside-chart/Chart.yaml': 'apiVersion: v2\nname: stolen\nversion: 0.1.0\n',
      'outside-chart/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stolen\n',
    });
    for (const repository of ['file://../../../outside-chart', 'https://charts.example.com']) {
      await writeFiles(repo, {
        'charts/deps/Chart.yaml': `apiVersion: v2\nname: deps\nversion: 0.1.0\ndependencies:\n  - name: stolen\n    version: 0.1.0\n    repository: ${repository}\n`,
        'charts/deps/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deps\n',
      });
      await expect(renderSource({ ...req(), source: { repoURL: 'u', path: 'charts/deps' } })).rejects.toThrow(
        new UserError(
          'helm template charts/deps failed: An error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: stolen',
        ),
      );
    }
  });

  it('renders the chart dependencies it is given, in the private copy, a vendored one winning', async () => {
    const deps = path.join(path.dirname(repo), `fetched-${path.basename(repo)}`);
    await writeFiles(deps, {
      'base/Chart.yaml': 'apiVersion: v2\nname: base\nversion: 1.2.0\n',
      'base/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-base\ndata:\n  from: fetched\n',
    });
    await writeFiles(repo, {
      'charts/app/Chart.yaml':
        'apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: base\n    version: ^1.0.0\n    repository: https://charts.example.com\n',
      'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n',
    });
    const source = { repoURL: 'u', path: 'charts/app' };
    const r = await renderSource({
      ...req(),
      source,
      chartDependencies: [{ name: 'base', dir: path.join(deps, 'base') }],
    });
    expect(names(r.objects)).toEqual(['ConfigMap app', 'ConfigMap shop-base']);
    expect(r.objects.find((o) => o.metadata.name === 'shop-base')?.data).toEqual({ from: 'fetched' });
    await expect(renderSource({ ...req(), source })).rejects.toThrow(/missing in charts\/ directory: base/);
    await writeFiles(repo, {
      'charts/app/charts/base/Chart.yaml': 'apiVersion: v2\nname: base\nversion: 1.0.0\n',
      'charts/app/charts/base/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-base\ndata:\n  from: vendored\n',
    });
    const vendored = await renderSource({
      ...req(),
      source,
      chartDependencies: [{ name: 'base', dir: path.join(deps, 'base') }],
    });
    expect(vendored.objects.find((o) => o.metadata.name === 'shop-base')?.data).toEqual({ from: 'vendored' });
  });

  it('reports template errors without temporary paths', async () => {
    await writeFiles(repo, { 'charts/demo/templates/broken.yaml': 'value: {{ .Values.nope.deeper }}\n' });
    const err = (await renderSource(req()).catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(
      'helm template charts/demo failed: template: demo/templates/broken.yaml:1:17: executing "demo/templates/broken.yaml" at <.Values.nope.deeper>: nil pointer evaluating interface {}.deeper',
    );
  });

  it('escapes commas in --set values as Argo CD does', () => {
    expect(escapeSetValue('a,b')).toBe('a\\,b');
    expect(escapeSetValue('a\\,b')).toBe('a\\,b');
    expect(escapeSetValue('{a,b}')).toBe('{a,b}');
    expect(escapeSetValue(',,')).toBe('\\,\\,');
  });

  it('builds helm template arguments in Argo CD order', () => {
    const args = helmTemplateArgs(
      {
        repoRoot: '/r',
        appName: 'app',
        namespace: 'ns',
        kubeVersion: '1.30.0',
        apiVersions: ['a/v1'],
        source: { repoURL: 'u', helm: { parameters: [{ name: 's', value: 'v', forceString: true }] } },
      },
      ['/c/values.yaml'],
      '/t/spec-values.yaml',
    );
    expect(args).toEqual([
      'template',
      '.',
      '--name-template',
      'app',
      '--namespace',
      'ns',
      '--kube-version',
      '1.30.0',
      '--set-string',
      's=v',
      '--values',
      '/c/values.yaml',
      '--values',
      '/t/spec-values.yaml',
      '--api-versions',
      'a/v1',
      '--include-crds',
    ]);
  });
});
