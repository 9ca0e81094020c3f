import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplicationSetGenerator, KubeObject } from '../core/index.js';
import {
  clusterParams,
  gitSources,
  listParams,
  requeueAfterSeconds,
  runGenerator,
  type GeneratorContext,
} from './generators.js';
import { directoryPatterns, parseParamsFile, selectDirectories } from './git-files.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const clusterSecret = (name: string, server: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: {
    name: `cluster-${name}`,
    labels: { 'argocd.argoproj.io/secret-type': 'cluster', ...labels },
    annotations: { note: 'n' },
  },
  data: { name: b64(name), server: b64(server), config: b64('{"bearerToken":"secret-token"}') },
});

// A real tree on disk stands in for a checkout (the e2e tests use the real git server and repo cache).
let repo: string;
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'appset-gen-'));
  for (const d of [
    'overlays/development',
    'overlays/staging',
    'overlays/production',
    'overlays/.hidden',
    'base',
    'clusters/a',
    'clusters/b',
  ]) {
    await mkdir(join(repo, d), { recursive: true });
  }
  await writeFile(
    join(repo, 'clusters/a/config.json'),
    JSON.stringify({ cluster: { name: 'a', address: 'https://a' } }),
  );
  await writeFile(join(repo, 'clusters/b/config.yaml'), '- cluster: {name: b1}\n- cluster: {name: b2}\n');
});
afterAll(async () => rm(repo, { recursive: true, force: true }));

const ctx = (goTemplate: boolean, secrets: KubeObject[] = []): GeneratorContext => ({
  mode: { goTemplate },
  clusterSecrets: () => secrets,
  checkout: async () => repo,
});

describe('list generator', () => {
  it('yields one parameter set per element, from elements and elementsYaml', () => {
    const params = listParams(
      { elements: [{ env: 'dev', nested: { a: 1 } }], elementsYaml: '- env: prod\n' },
      false,
    );
    expect(params).toEqual([{ env: 'dev', 'nested.a': '1' }, { env: 'prod' }]);
    expect(listParams({ elements: [{ nested: { a: 1 } }] }, true)).toEqual([{ nested: { a: 1 } }]);
    expect(() => listParams({ elementsYaml: 'a: b' }, false)).toThrow(
      'elementsYaml must be a YAML list of objects',
    );
  });
});

describe('clusters generator', () => {
  const secrets = [
    clusterSecret('east', 'https://east:6443', { env: 'prod' }),
    clusterSecret('my_west', 'https://west:6443'),
  ];

  it('yields the registered clusters and the local one, never the Secret data beside name and server', () => {
    // Argo CD: "For each cluster registered with Argo CD, the Cluster generator produces parameters based on the list of items found within the cluster secret."
    const params = clusterParams({}, secrets, false, { goTemplate: false });
    expect(params.map((p) => p.name)).toEqual(['in-cluster', 'east', 'my_west']);
    expect(params[2]).toMatchObject({
      nameNormalized: 'my-west',
      server: 'https://west:6443',
      'metadata.annotations.note': 'n',
    });
    expect(params[1]!['metadata.labels.env']).toBe('prod');
    expect(JSON.stringify(params)).not.toContain('secret-token');
  });

  it('leaves the local cluster out of a selector, since it has no labels, and renders values', () => {
    // Argo CD: "This selector will not match local clusters, since the local cluster does not have a secret (and thus does not have labels on that secret)."
    const params = clusterParams(
      { selector: { matchLabels: { env: 'prod' } }, values: { ns: 'apps-{{name}}' } },
      secrets,
      false,
      {
        goTemplate: false,
      },
    );
    expect(params.map((p) => [p.name, p['values.ns']])).toEqual([['east', 'apps-east']]);
    const go = clusterParams({ values: { ns: '{{.name}}-x' } }, secrets, true, { goTemplate: true });
    expect(go[1]).toMatchObject({
      name: 'east',
      metadata: { labels: { env: 'prod' } },
      values: { ns: 'east-x' },
    });
  });

  it('does not add in-cluster twice when a Secret registers the local server', () => {
    const params = clusterParams({}, [clusterSecret('local', 'https://kubernetes.default.svc')], false, {});
    expect(params.map((p) => p.name)).toEqual(['local']);
  });
});

describe('git generator', () => {
  it('selects directories: include globs, exclude rules win, dot directories skipped', async () => {
    // Argo CD: "If a directory matches at least one exclude pattern, it will be excluded."
    const g: ApplicationSetGenerator = {
      git: {
        repoURL: 'https://git.example/r.git',
        directories: [{ path: 'overlays/*' }, { path: 'overlays/production', exclude: true }],
      },
    };
    const { params } = await runGenerator(g, ctx(false));
    expect(params.map((p) => p['path.basename'])).toEqual(['development', 'staging']);
    expect(params[0]).toMatchObject({
      path: 'overlays/development',
      'path[0]': 'overlays',
      'path[1]': 'development',
    });
  });

  it('matches * inside one path segment only, as path.Match', () => {
    const { include, exclude } = directoryPatterns([{ path: '*' }, { path: 'd/[fg]', exclude: true }]);
    expect(selectDirectories(['a', 'a/b', 'd', 'd/e', 'd/f'], include, exclude)).toEqual(['a', 'd']);
    const nested = directoryPatterns([{ path: 'd/*' }, { path: 'd/[fg]', exclude: true }]);
    expect(selectDirectories(['d/e', 'd/f', 'd/g', 'd/e/x'], nested.include, nested.exclude)).toEqual([
      'd/e',
    ]);
  });

  it('reads JSON/YAML files: flattened keys, one set per list item, path and path.filename', async () => {
    // Argo CD: "The Git file generator generates parameters using the contents of JSON/YAML files found within a specified repository."
    const g: ApplicationSetGenerator = {
      git: { repoURL: 'https://git.example/r.git', files: [{ path: 'clusters/**' }] },
    };
    const { params } = await runGenerator(g, ctx(false));
    expect(params.map((p) => [p['cluster.name'], p.path, p['path.basename'], p['path.filename']])).toEqual([
      ['a', 'clusters/a', 'a', 'config.json'],
      ['b1', 'clusters/b', 'b', 'config.yaml'],
      ['b2', 'clusters/b', 'b', 'config.yaml'],
    ]);
    const goParams = (await runGenerator(g, ctx(true))).params;
    expect(goParams[0]).toMatchObject({
      cluster: { name: 'a' },
      path: { path: 'clusters/a', filename: 'config.json', segments: ['clusters', 'a'] },
    });
  });

  it('names a broken file in one line', () => {
    expect(() => parseParamsFile('x.yaml', 'a: [')).toThrow(/^x\.yaml: not valid JSON or YAML/);
    expect(() => parseParamsFile('x.yaml', '- 1\n- 2\n')).toThrow(
      'x.yaml: must hold an object or a list of objects',
    );
  });

  it('needs either directories or files', async () => {
    await expect(runGenerator({ git: { repoURL: 'https://g/r.git' } }, ctx(false))).rejects.toThrow(
      'set either directories or files',
    );
  });
});

describe('matrix and merge generators', () => {
  it('matrix: the cross product of a list and a git generator', async () => {
    // Argo CD: "The Matrix generator combines the parameters generated by two child generators, iterating through every combination of each generator's generated parameters."
    const g: ApplicationSetGenerator = {
      matrix: {
        generators: [
          { list: { elements: [{ region: 'eu' }, { region: 'us' }] } },
          { git: { repoURL: 'https://g/r.git', directories: [{ path: 'overlays/*' }] } },
        ],
      },
    };
    const { params } = await runGenerator(g, ctx(false));
    expect(params.map((p) => `${p.region}/${p['path.basename']}`)).toEqual([
      'eu/development',
      'eu/production',
      'eu/staging',
      'us/development',
      'us/production',
      'us/staging',
    ]);
  });

  it('matrix: the second child may use the first one’s parameters', async () => {
    const g: ApplicationSetGenerator = {
      matrix: {
        generators: [
          { list: { elements: [{ dir: 'overlays' }, { dir: 'clusters' }] } },
          { git: { repoURL: 'https://g/r.git', directories: [{ path: '{{dir}}/*' }] } },
        ],
      },
    };
    const { params } = await runGenerator(g, ctx(false));
    expect(params.map((p) => p.path)).toEqual([
      'overlays/development',
      'overlays/production',
      'overlays/staging',
      'clusters/a',
      'clusters/b',
    ]);
  });

  it('merge: the base sets, overridden by later sets agreeing on the merge keys', async () => {
    // Argo CD: "The Merge generator combines parameters produced by the base (first) generator with matching parameter sets produced by subsequent generators."
    const g: ApplicationSetGenerator = {
      merge: {
        mergeKeys: ['name'],
        generators: [
          {
            list: {
              elements: [
                { name: 'a', replicas: '1' },
                { name: 'b', replicas: '1' },
              ],
            },
          },
          {
            list: {
              elements: [
                { name: 'b', replicas: '3' },
                { name: 'z', replicas: '9' },
              ],
            },
          },
        ],
      },
    };
    const { params } = await runGenerator(g, ctx(false));
    expect(params).toEqual([
      { name: 'a', replicas: '1' },
      { name: 'b', replicas: '3' },
    ]);
  });

  it('merge needs two children and merge keys', async () => {
    const one: ApplicationSetGenerator = {
      merge: { mergeKeys: ['a'], generators: [{ list: { elements: [{ a: '1' }] } }] },
    };
    await expect(runGenerator(one, ctx(false))).rejects.toThrow('at least two child generators');
    const noKeys = {
      merge: { generators: [{ list: { elements: [] } }, { list: { elements: [] } }] },
    } as unknown as ApplicationSetGenerator;
    await expect(runGenerator(noKeys, ctx(false))).rejects.toThrow('mergeKeys is required');
  });

  it('allows two levels of nesting, not three', async () => {
    const leaf: ApplicationSetGenerator = { list: { elements: [{ a: '1' }] } };
    const two: ApplicationSetGenerator = {
      matrix: {
        generators: [leaf, { matrix: { generators: [leaf, { list: { elements: [{ b: '2' }] } }] } }],
      },
    };
    expect((await runGenerator(two, ctx(false))).params).toEqual([{ a: '1', b: '2' }]);
    const three: ApplicationSetGenerator = {
      matrix: { generators: [leaf, { matrix: { generators: [leaf, two] } }] },
    };
    await expect(runGenerator(three, ctx(false))).rejects.toThrow('nest at most two levels');
  });

  it('post selector filters the generated values', async () => {
    // Argo CD: "The selector field on a generator allows an ApplicationSet to post-filter results using the Kubernetes common labelSelector format and the generated values."
    const { params } = await runGenerator(
      {
        list: { elements: [{ env: 'staging' }, { env: 'prod' }] },
        selector: { matchLabels: { env: 'staging' } },
      },
      ctx(false),
    );
    expect(params).toEqual([{ env: 'staging' }]);
  });

  it('names unsupported generators', async () => {
    await expect(runGenerator({ pullRequest: {} }, ctx(false))).rejects.toThrow(
      'the pullRequest generator is not supported by Mooring yet',
    );
  });
});

describe('requeue and webhook sources', () => {
  it('polls git generators every 180 s unless requeueAfterSeconds says otherwise, and lists their repositories', () => {
    // Argo CD: "When using a Git generator, ApplicationSet polls Git repositories every three minutes to detect changes."
    const gens: ApplicationSetGenerator[] = [
      { list: { elements: [] } },
      {
        matrix: {
          generators: [
            { list: { elements: [] } },
            { git: { repoURL: 'https://g/r.git', revision: 'main', files: [{ path: 'x' }] } },
          ],
        },
      },
    ];
    expect(requeueAfterSeconds(gens)).toBe(180);
    expect(
      requeueAfterSeconds([{ git: { repoURL: 'u', requeueAfterSeconds: 30, directories: [{ path: '*' }] } }]),
    ).toBe(30);
    expect(requeueAfterSeconds([{ list: { elements: [] } }])).toBeUndefined();
    expect(gitSources(gens)).toEqual([{ repoURL: 'https://g/r.git', revision: 'main' }]);
  });
});
