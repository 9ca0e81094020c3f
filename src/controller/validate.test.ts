import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AppProject, Application } from '../core/index.js';
import { IN_CLUSTER, defaultProject } from './defaults.js';
import {
  namespaceMatches,
  projectPermitsDestination,
  projectPermitsRepo,
  projectPermitsResource,
  projectPermitsSourceNamespace,
  validateApplication,
  type ValidationContext,
} from './validate.js';
import { normalizeRepoURL } from '../source/index.js';

// argocd-application.yaml from the seed brief, unchanged (examples/ keeps it verbatim).
const SEED_APPLICATION = readFileSync(
  new URL('../../examples/argocd-application.yaml', import.meta.url),
  'utf8',
);

const REMOTE = { server: 'https://prod.example.com:6443', name: 'prod' };

/** A fresh copy of the seed Application, changed by `edit`. */
function seedApp(edit: (app: Application) => void = () => {}): Application {
  const app = parse(SEED_APPLICATION) as Application;
  edit(app);
  return app;
}

function ctx(overrides: Partial<ValidationContext> = {}): ValidationContext {
  return {
    project: defaultProject('argocd'),
    projectName: 'default',
    clusters: [IN_CLUSTER, REMOTE],
    controlNamespace: 'argocd',
    ...overrides,
  };
}

function project(name: string, spec: AppProject['spec']): AppProject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name, namespace: 'argocd' },
    spec,
  };
}

/** The messages of validateApplication, after checking every condition is an InvalidSpecError. */
function problems(app: Application, c: ValidationContext = ctx()): string[] {
  const conditions = validateApplication(app, c);
  for (const cond of conditions) expect(cond.type).toBe('InvalidSpecError');
  return conditions.map((cond) => cond.message);
}

describe('validateApplication', () => {
  it('accepts the seed Application against the default project and the in-cluster cluster', () => {
    expect(validateApplication(seedApp(), ctx({ clusters: [IN_CLUSTER] }))).toEqual([]);
  });

  it('accepts a destination given by cluster name, and a server with a trailing slash', () => {
    const byName = seedApp((a) => (a.spec.destination = { name: 'in-cluster', namespace: 'production' }));
    expect(problems(byName)).toEqual([]);
    const slash = seedApp((a) => (a.spec.destination.server = 'https://kubernetes.default.svc/'));
    expect(problems(slash)).toEqual([]);
  });

  it('requires a source repoURL', () => {
    expect(problems(seedApp((a) => delete a.spec.source))).toEqual([
      'spec.source.repoURL is required: set it to the Git repository that holds the manifests',
    ]);
    expect(problems(seedApp((a) => (a.spec.source!.repoURL = '  ')))).toEqual([
      'spec.source.repoURL is required: set it to the Git repository that holds the manifests',
    ]);
  });

  it('requires a path (or a chart with a version)', () => {
    expect(problems(seedApp((a) => delete a.spec.source!.path))).toEqual([
      'spec.source.path is required: set it to the directory in the repository that holds the manifests ("." for the repository root), or set spec.source.chart for a Helm chart',
    ]);
    const chart = seedApp((a) => (a.spec.source = { repoURL: 'https://charts.example.com', chart: 'myapp' }));
    expect(problems(chart)).toEqual([
      'spec.source.targetRevision is required for a Helm chart: set it to the chart version to deploy',
    ]);
    chart.spec.source!.targetRevision = '1.2.3';
    expect(problems(chart)).toEqual([]);
  });

  it('checks a chart source: a Helm repository URL, a chart name, a version or semver constraint', () => {
    const chart = (repoURL: string, name: string, targetRevision: string) =>
      problems(seedApp((a) => (a.spec.source = { repoURL, chart: name, targetRevision })));
    // Argo CD, "Tracking and Deployment Strategies": "Helm chart versions are Semantic Versions. As a
    // result, you can use any of the following version ranges".
    for (const rev of [
      '1.2.0',
      '1.2.*',
      '>=1.2.0 <1.3.0',
      '1.*',
      '>=1.0.0, <2.0.0',
      '*',
      '*-0',
      '^1.2',
      '~1.2',
    ])
      expect(chart('https://charts.example.com', 'myapp', rev)).toEqual([]);
    expect(chart('https://charts.example.com', 'myapp', 'main')).toEqual([
      'spec.source.targetRevision "main" is neither a chart version nor a version constraint (1.2.3, 1.2.*, >=1.0 <2.0, ^1.2): "main" in "main" is not a version',
    ]);
    expect(chart('git@github.com:org/charts.git', 'myapp', '1.0.0')).toEqual([
      'spec.source.chart is set but spec.source.repoURL "git@github.com:org/charts.git" is not a Helm repository: give the repository\'s https:// URL, or remove chart and set path for a chart kept in Git',
    ]);
    expect(chart('https://charts.example.com', '../etc', '1.0.0')).toEqual([
      'spec.source.chart "../etc" is not a chart name: give the name the repository\'s index lists (letters, digits, ".", "_", "-")',
    ]);
  });

  it('checks an OCI chart source: the registry reference, and a tag, constraint or digest', () => {
    const oci = (source: Record<string, string>) =>
      problems(
        seedApp((a) => (a.spec.source = source as unknown as NonNullable<Application['spec']['source']>)),
      );
    // Argo CD's OCI guide: "targetRevision: Use this field to specify the desired image tag or digest."
    const digest = `sha256:${'a'.repeat(64)}`;
    for (const targetRevision of ['1.2.3', '1.2.*', '>=1.0 <2.0', 'latest', digest])
      expect(oci({ repoURL: 'oci://registry.example.com/charts', chart: 'app', targetRevision })).toEqual([]);
    expect(
      oci({ repoURL: 'oci://registry.example.com/charts/app', path: '.', targetRevision: '1.0.0' }),
    ).toEqual([]);
    // Argo CD's Helm guide: "repoURL: registry-1.docker.io/bitnamicharts # note: the oci:// syntax is not included."
    expect(
      oci({ repoURL: 'registry-1.docker.io/bitnamicharts', chart: 'nginx', targetRevision: '15.9.0' }),
    ).toEqual([]);
    expect(oci({ repoURL: 'oci://registry.example.com/charts/app', path: '.' })).toEqual([
      'spec.source.targetRevision is required for an OCI chart: set it to a tag (1.2.3), a version constraint (1.2.*) or a digest (sha256:…)',
    ]);
    expect(oci({ repoURL: 'oci://registry.example.com', path: '.', targetRevision: '1.0.0' })).toEqual([
      'spec.source.repoURL "oci://registry.example.com" names no repository: write oci://host/path and set spec.source.chart, or oci://host/path/chart',
    ]);
    expect(
      oci({ repoURL: 'oci://registry.example.com/Charts', chart: 'app', targetRevision: '1.0.0' }),
    ).toEqual([
      '"Charts/app" is not an OCI repository name: each part lower-case letters and digits, separated by ".", "_" or "-"',
    ]);
    expect(
      oci({ repoURL: 'oci://registry.example.com/charts', chart: 'app', targetRevision: '>=1.0 <<2' })[0],
    ).toMatch(
      /^spec\.source\.targetRevision ">=1\.0 <<2" is neither a tag, a version constraint \(1\.2\.\*, >=1\.0 <2\.0, \^1\.2\) nor a digest \(sha256:…\): /,
    );
  });

  // Argo CD, "Multiple Sources for an Application": "When you specify the `sources` field, Argo CD will
  // ignore the `source` (singular) field."
  it('accepts spec.sources (a chart with $values from a ref source) and ignores spec.source beside it', () => {
    const app = seedApp((a) => {
      a.spec.sources = [
        {
          repoURL: 'https://charts.example.com',
          chart: 'web',
          targetRevision: '1.2.*',
          helm: { valueFiles: ['$values/envs/prod/values.yaml'] },
        },
        { repoURL: 'https://github.com/myorg/values.git', targetRevision: 'main', ref: 'values' },
      ];
      a.spec.source = { repoURL: '', path: '' }; // invalid on its own, but ignored
    });
    expect(problems(app)).toEqual([]);
  });

  it('checks each source of spec.sources, naming it by position', () => {
    const app = seedApp((a) => {
      a.spec.sources = [
        { repoURL: 'https://charts.example.com', chart: 'web' },
        { repoURL: '', path: '.' },
        { repoURL: 'https://github.com/myorg/values.git' },
      ];
      delete a.spec.source;
    });
    expect(problems(app)).toEqual([
      'spec.sources[0].targetRevision is required for a Helm chart: set it to the chart version to deploy',
      'spec.sources[1].repoURL is required: set it to the Git repository that holds the manifests',
      'spec.sources[2].path is required: set it to the directory in the repository that holds the manifests ("." for the repository root), or set spec.sources[2].chart for a Helm chart',
    ]);
  });

  // Argo CD: "Sources with the `ref` field set cannot include the `chart` field." and "the `$values`
  // variable can only be used at the beginning of the value file path".
  it('refuses a ref with a chart, repeated or malformed refs, unknown $refs and a $ref mid-path', () => {
    const app = seedApp((a) => {
      a.spec.sources = [
        {
          repoURL: 'https://github.com/myorg/app.git',
          path: 'chart',
          helm: { valueFiles: ['$nope/values.yaml', 'envs/$values/x.yaml', '$values/ok.yaml'] },
        },
        { repoURL: 'https://charts.example.com', chart: 'web', targetRevision: '1.0.0', ref: 'values' },
        { repoURL: 'https://github.com/myorg/values.git', ref: 'values' },
        { repoURL: 'https://github.com/myorg/values.git', ref: '../up' },
      ];
      delete a.spec.source;
    });
    expect(problems(app)).toEqual([
      'spec.sources[1] has both ref and chart: a ref source lends the files of a Git repository; put the chart in a source of its own',
      'spec.sources[2].ref "values" is also the ref of spec.sources[1]: give each ref source its own name',
      'spec.sources[3].ref "../up" is not a ref name: use letters, digits, "_" and "-"',
      'spec.sources[0].helm.valueFiles "$nope/values.yaml" refers to $nope, but no source has ref: nope: add ref: nope to the source that holds the file',
      'spec.sources[0].helm.valueFiles "envs/$values/x.yaml": a $ref may only start a value file path ($ref/path)',
    ]);
  });

  it("checks every source's repository against the project's sourceRepos, ref sources included", () => {
    const app = seedApp((a) => {
      a.spec.sources = [
        { repoURL: 'https://charts.example.com', chart: 'web', targetRevision: '1.0.0' },
        { repoURL: 'https://github.com/other/values.git', ref: 'values' },
      ];
      delete a.spec.source;
    });
    const team = project('default', {
      sourceRepos: ['https://charts.example.com'],
      destinations: [{ server: '*', namespace: '*' }],
    });
    expect(problems(app, ctx({ project: team }))).toEqual([
      'repository "https://github.com/other/values.git" is not permitted in project "default": add it to the AppProject\'s spec.sourceRepos',
    ]);
  });

  it('requires a destination server or name, not both', () => {
    expect(problems(seedApp((a) => (a.spec.destination = { namespace: 'production' })))).toEqual([
      'spec.destination.server or spec.destination.name is required: use server https://kubernetes.default.svc (or name "in-cluster") for the cluster Mooring runs in',
    ]);
    expect(
      problems(seedApp((a) => delete (a.spec as Partial<Application['spec']>).destination)),
    ).toHaveLength(1);
    expect(problems(seedApp((a) => (a.spec.destination.name = 'in-cluster')))).toEqual([
      `application destination can't have both name and server defined: name "in-cluster", server "https://kubernetes.default.svc"; keep only one of them`,
    ]);
  });

  it('rejects unknown clusters, by server and by name', () => {
    expect(problems(seedApp((a) => (a.spec.destination.server = 'https://x')))).toEqual([
      'destination server "https://x" is not a known cluster: register it with a cluster Secret (argocd.argoproj.io/secret-type: cluster) or use https://kubernetes.default.svc',
    ]);
    expect(
      problems(seedApp((a) => (a.spec.destination = { name: 'staging', namespace: 'production' }))),
    ).toEqual([
      'destination name "staging" is not a known cluster: register it with a cluster Secret (argocd.argoproj.io/secret-type: cluster) or use "in-cluster"',
    ]);
    // Without the in-cluster entry (disabled), even kubernetes.default.svc is unknown.
    expect(problems(seedApp(), ctx({ clusters: [REMOTE] }))).toHaveLength(1);
  });

  it('rejects a cluster name shared by two clusters', () => {
    const clusters = [IN_CLUSTER, REMOTE, { server: 'https://other:6443', name: 'prod' }];
    const app = seedApp((a) => (a.spec.destination = { name: 'prod', namespace: 'production' }));
    expect(problems(app, ctx({ clusters }))).toEqual([
      'destination name "prod" matches 2 clusters (https://prod.example.com:6443, https://other:6443): give each cluster a unique name or use spec.destination.server',
    ]);
  });

  it('reports a missing project and skips the checks that need it', () => {
    const app = seedApp((a) => (a.spec.project = 'foo'));
    expect(problems(app, ctx({ project: undefined, projectName: 'foo' }))).toEqual([
      'application references project "foo" which does not exist: create the AppProject or use "default"',
    ]);
  });

  it('rejects a repository the project does not permit', () => {
    const p = project('p', {
      sourceRepos: ['https://github.com/platform/*'],
      destinations: [{ server: '*', namespace: '*' }],
    });
    expect(
      problems(
        seedApp((a) => (a.spec.project = 'p')),
        ctx({ project: p, projectName: 'p' }),
      ),
    ).toEqual([
      `repository "https://github.com/myorg/myapp-config.git" is not permitted in project "p": add it to the AppProject's spec.sourceRepos`,
    ]);
  });

  it('rejects a destination the project does not permit', () => {
    const p = project('p', {
      sourceRepos: ['*'],
      destinations: [{ server: 'https://kubernetes.default.svc', namespace: 'staging-*' }],
    });
    expect(problems(seedApp(), ctx({ project: p, projectName: 'p' }))).toEqual([
      `destination server "https://kubernetes.default.svc" (cluster "in-cluster") and namespace "production" are not permitted in project "p": add a matching entry to the AppProject's spec.destinations`,
    ]);
    // A project entry by cluster name admits an app that names the server, and the reverse.
    const byName = project('p', {
      sourceRepos: ['*'],
      destinations: [{ name: 'in-cluster', namespace: '*' }],
    });
    expect(problems(seedApp(), ctx({ project: byName, projectName: 'p' }))).toEqual([]);
  });

  it('rejects an Application outside the control namespace unless sourceNamespaces admits it', () => {
    const app = seedApp((a) => (a.metadata.namespace = 'team-a'));
    expect(problems(app)).toEqual([
      `application namespace "team-a" is not permitted in project "default": add it to the AppProject's spec.sourceNamespaces, or create the Application in namespace "argocd"`,
    ]);
    const p = {
      ...defaultProject('argocd'),
      spec: { ...defaultProject('argocd').spec, sourceNamespaces: ['team-*'] },
    };
    expect(problems(app, ctx({ project: p }))).toEqual([]);
  });

  it('reports every problem at once, source first', () => {
    const p = project('p', { sourceRepos: [], destinations: [] });
    const app = seedApp((a) => (a.metadata.namespace = 'elsewhere'));
    expect(problems(app, ctx({ project: p, projectName: 'p' })).map((m) => m.slice(0, 24))).toEqual([
      'application namespace "e',
      'repository "https://gith',
      'destination server "http',
    ]);
    const broken = seedApp((a) => {
      delete a.spec.source;
      a.spec.destination = {};
    });
    expect(problems(broken, ctx({ project: undefined, projectName: 'x' }))).toHaveLength(3);
  });

  it('survives an Application without spec or metadata fields', () => {
    const bare = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: {} } as Application;
    expect(problems(bare)).toHaveLength(2);
  });
});

describe('projectPermitsRepo', () => {
  const p = (...sourceRepos: string[]) => project('p', { sourceRepos });

  it('normalises URLs as Argo CD does', () => {
    expect(normalizeRepoURL(' https://GitHub.com/MyOrg/Repo.git ')).toBe('https://github.com/myorg/repo');
    expect(normalizeRepoURL('git@github.com:myorg/repo.git')).toBe('git@github.com/myorg/repo');
    expect(normalizeRepoURL('ssh://git@github.com/myorg/repo')).toBe('git@github.com/myorg/repo');
    expect(projectPermitsRepo(p('https://github.com/myorg/repo'), 'https://github.com/MyOrg/repo.git')).toBe(
      true,
    );
    expect(projectPermitsRepo(p('ssh://git@github.com/myorg/repo.git'), 'git@github.com:myorg/repo')).toBe(
      true,
    );
  });

  it('matches globs within one path segment, "**" across segments', () => {
    expect(projectPermitsRepo(p('*'), 'https://anything/at/all')).toBe(true);
    expect(projectPermitsRepo(p('https://github.com/myorg/*'), 'https://github.com/myorg/a')).toBe(true);
    expect(projectPermitsRepo(p('https://github.com/myorg/*'), 'https://github.com/myorg/a/b')).toBe(false);
    expect(projectPermitsRepo(p('https://github.com/myorg/*'), 'https://github.com/other/a')).toBe(false);
    expect(projectPermitsRepo(p('https://gitlab.com/**'), 'https://gitlab.com/group/sub/repo')).toBe(true);
  });

  it('lets "!" deny, winning over allows, and admits the rest when only denies are listed', () => {
    const mixed = p('https://github.com/myorg/*', '!https://github.com/myorg/secret');
    expect(projectPermitsRepo(mixed, 'https://github.com/myorg/app')).toBe(true);
    expect(projectPermitsRepo(mixed, 'https://github.com/myorg/secret.git')).toBe(false);
    expect(projectPermitsRepo(p('!https://github.com/evil/*'), 'https://github.com/good/x')).toBe(true);
    expect(projectPermitsRepo(p('!https://github.com/evil/*'), 'https://github.com/evil/x')).toBe(false);
  });

  it('permits nothing when sourceRepos is empty or missing', () => {
    expect(projectPermitsRepo(p(), 'https://github.com/myorg/a')).toBe(false);
    expect(projectPermitsRepo(project('p', {}), 'https://github.com/myorg/a')).toBe(false);
  });
});

describe('projectPermitsDestination', () => {
  const p = (...destinations: NonNullable<AppProject['spec']['destinations']>) =>
    project('p', { destinations });
  const inCluster = (namespace: string) => ({ ...IN_CLUSTER, namespace });

  it('matches server or name, and namespace, with globs', () => {
    const proj = p(
      { server: 'https://*.example.com:6443', namespace: 'team-*' },
      { name: 'in-cluster', namespace: 'ops' },
    );
    expect(projectPermitsDestination(proj, { ...REMOTE, namespace: 'team-a' })).toBe(true);
    expect(projectPermitsDestination(proj, { ...REMOTE, namespace: 'ops' })).toBe(false);
    expect(projectPermitsDestination(proj, inCluster('ops'))).toBe(true);
    expect(projectPermitsDestination(proj, { name: 'in-cluster', namespace: 'ops' })).toBe(true);
    expect(projectPermitsDestination(proj, inCluster('team-a'))).toBe(false);
  });

  it('lets "*" match an empty namespace but a specific glob not', () => {
    expect(projectPermitsDestination(p({ server: '*', namespace: '*' }), inCluster(''))).toBe(true);
    expect(projectPermitsDestination(p({ server: '*', namespace: 'prod-*' }), inCluster(''))).toBe(false);
  });

  it('denies with "!" on the namespace', () => {
    const proj = p({ server: '*', namespace: '*' }, { server: '*', namespace: '!kube-*' });
    expect(projectPermitsDestination(proj, inCluster('production'))).toBe(true);
    expect(projectPermitsDestination(proj, inCluster('kube-system'))).toBe(false);
    // A deny entry alone also admits whatever it does not deny.
    expect(projectPermitsDestination(p({ server: '*', namespace: '!kube-system' }), inCluster('prod'))).toBe(
      true,
    );
  });

  it('denies with "!" on the server or the name', () => {
    const byServer = p({ server: '*', namespace: '*' }, { server: '!https://prod.*', namespace: '*' });
    expect(projectPermitsDestination(byServer, inCluster('a'))).toBe(true);
    expect(projectPermitsDestination(byServer, { ...REMOTE, namespace: 'a' })).toBe(false);
    const byName = p({ server: '*', namespace: '*' }, { name: '!prod', namespace: '*' });
    expect(projectPermitsDestination(byName, inCluster('a'))).toBe(true);
    expect(projectPermitsDestination(byName, { ...REMOTE, namespace: 'a' })).toBe(false);
  });

  it('permits nothing without destinations', () => {
    expect(projectPermitsDestination(p(), inCluster('a'))).toBe(false);
  });
});

describe('projectPermitsResource', () => {
  it('allows everything in the default project', () => {
    const proj = defaultProject('argocd');
    expect(projectPermitsResource(proj, '', 'Namespace', false)).toBe(true);
    expect(projectPermitsResource(proj, 'rbac.authorization.k8s.io', 'ClusterRole', false)).toBe(true);
    expect(projectPermitsResource(proj, 'apps', 'Deployment', true)).toBe(true);
  });

  it('denies cluster-scoped kinds unless whitelisted, and blacklisted ones always', () => {
    expect(projectPermitsResource(project('p', {}), '', 'Namespace', false)).toBe(false);
    const proj = project('p', {
      clusterResourceWhitelist: [
        { group: '', kind: 'Namespace' },
        { group: 'rbac.authorization.k8s.io', kind: '*' },
      ],
      clusterResourceBlacklist: [{ group: '*', kind: 'ClusterRoleBinding' }],
    });
    expect(projectPermitsResource(proj, '', 'Namespace', false)).toBe(true);
    expect(projectPermitsResource(proj, 'rbac.authorization.k8s.io', 'ClusterRole', false)).toBe(true);
    expect(projectPermitsResource(proj, 'rbac.authorization.k8s.io', 'ClusterRoleBinding', false)).toBe(
      false,
    );
    expect(projectPermitsResource(proj, 'apiextensions.k8s.io', 'CustomResourceDefinition', false)).toBe(
      false,
    );
  });

  it('allows namespaced kinds unless blacklisted or left out of a whitelist', () => {
    expect(projectPermitsResource(project('p', {}), '', 'ConfigMap', true)).toBe(true);
    const black = project('p', { namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }] });
    expect(projectPermitsResource(black, '', 'Secret', true)).toBe(false);
    expect(projectPermitsResource(black, '', 'ConfigMap', true)).toBe(true);
    const white = project('p', { namespaceResourceWhitelist: [{ group: 'apps', kind: '*' }] });
    expect(projectPermitsResource(white, 'apps', 'Deployment', true)).toBe(true);
    expect(projectPermitsResource(white, '', 'ConfigMap', true)).toBe(false);
    // An explicitly empty whitelist admits no namespaced kind, as in current Argo CD.
    expect(
      projectPermitsResource(project('p', { namespaceResourceWhitelist: [] }), '', 'ConfigMap', true),
    ).toBe(false);
  });

  it('does not let the core group "" match a named group', () => {
    const proj = project('p', { clusterResourceWhitelist: [{ group: '', kind: '*' }] });
    expect(projectPermitsResource(proj, '', 'Namespace', false)).toBe(true);
    expect(projectPermitsResource(proj, 'storage.k8s.io', 'StorageClass', false)).toBe(false);
  });
});

describe('source namespaces', () => {
  it('matches globs and /regular expressions/', () => {
    expect(namespaceMatches(['team-*'], 'team-a')).toBe(true);
    expect(namespaceMatches(['team-*'], 'ops')).toBe(false);
    expect(namespaceMatches(['/^app-[0-9]+$/'], 'app-12')).toBe(true);
    expect(namespaceMatches(['/^app-[0-9]+$/'], 'app-x')).toBe(false);
    expect(namespaceMatches(['/(/'], '(')).toBe(false);
    expect(namespaceMatches([], 'x')).toBe(false);
  });

  it('always permits the control namespace', () => {
    const proj = project('p', { sourceNamespaces: ['team-*'] });
    expect(projectPermitsSourceNamespace(proj, 'argocd', 'argocd')).toBe(true);
    expect(projectPermitsSourceNamespace(proj, undefined, 'argocd')).toBe(true);
    expect(projectPermitsSourceNamespace(proj, 'team-b', 'argocd')).toBe(true);
    expect(projectPermitsSourceNamespace(proj, 'other', 'argocd')).toBe(false);
    expect(projectPermitsSourceNamespace(defaultProject('argocd'), 'other', 'argocd')).toBe(false);
  });
});
