import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { isRecord } from '../core/index.js';
import { appProjectCrd, applicationCrd, applicationSetCrd, crdFiles, crdManifestsYaml } from './crds.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

type Schema = Record<string, unknown>;

/** The v1alpha1 version entry and its schema. */
function version(crd: ReturnType<typeof applicationCrd>): Schema {
  const spec = crd.spec as { versions: Schema[] };
  expect(spec.versions).toHaveLength(1);
  return spec.versions[0]!;
}
const schemaOf = (crd: ReturnType<typeof applicationCrd>): Schema =>
  (version(crd).schema as { openAPIV3Schema: Schema }).openAPIV3Schema;

/**
 * What the apiserver's structural validation would reject in `value`: wrong types where the schema
 * lists a property, `required` fields that are missing, unknown fields where they are not preserved.
 */
function rejections(schema: Schema, value: unknown, at = ''): string[] {
  const type = schema.type as string | undefined;
  const typeOk: Record<string, (v: unknown) => boolean> = {
    object: isRecord,
    array: Array.isArray,
    string: (v) => typeof v === 'string',
    boolean: (v) => typeof v === 'boolean',
    integer: Number.isInteger,
  };
  if (type && !typeOk[type]!(value)) return [`${at}: not ${type}`];
  const out: string[] = [];
  if (type === 'array') {
    (value as unknown[]).forEach((v, i) => out.push(...rejections(schema.items as Schema, v, `${at}[${i}]`)));
  }
  if (type === 'object') {
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const req of (schema.required ?? []) as string[])
      if (!(req in (value as object))) out.push(`${at}.${req}: required`);
    for (const [k, v] of Object.entries(value as object)) {
      if (props[k]) out.push(...rejections(props[k], v, `${at}.${k}`));
      else if (!schema['x-kubernetes-preserve-unknown-fields'] && at !== '.metadata')
        out.push(`${at}.${k}: pruned`);
    }
  }
  return out;
}

/** Every schema node, with its path. */
function* nodes(schema: Schema, at = ''): Generator<[string, Schema]> {
  yield [at, schema];
  for (const [k, v] of Object.entries((schema.properties ?? {}) as Record<string, Schema>))
    yield* nodes(v, `${at}.${k}`);
  if (schema.items) yield* nodes(schema.items as Schema, `${at}[]`);
}

const SEED_APPLICATION = parse(`
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: myapp-production
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/myorg/myapp-config.git
    targetRevision: main
    path: overlays/production
  destination:
    server: https://kubernetes.default.svc
    namespace: production
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions:
      - CreateNamespace=true
`) as unknown;

describe('CRDs', () => {
  it('deploy/crds matches src/controller/crds.ts', () => {
    for (const file of crdFiles()) {
      const onDisk = readFileSync(join(root, file.path), 'utf8');
      expect(onDisk, `${file.path} is stale: run node --import tsx scripts/gen-crds.ts`).toBe(file.content);
    }
  });

  it('names the Application CRD as Argo CD does, with its printer columns and a status subresource', () => {
    const crd = applicationCrd();
    expect(crd.metadata.name).toBe('applications.argoproj.io');
    expect(crd.spec).toMatchObject({
      group: 'argoproj.io',
      scope: 'Namespaced',
      names: {
        kind: 'Application',
        listKind: 'ApplicationList',
        plural: 'applications',
        singular: 'application',
        shortNames: ['app', 'apps'],
      },
    });
    const v = version(crd);
    expect(v).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
    expect(v.additionalPrinterColumns).toEqual([
      { name: 'Sync Status', type: 'string', jsonPath: '.status.sync.status' },
      { name: 'Health Status', type: 'string', jsonPath: '.status.health.status' },
      { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', priority: 10 },
      { name: 'Project', type: 'string', jsonPath: '.spec.project', priority: 10 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
  });

  it('names the AppProject CRD as Argo CD does', () => {
    const crd = appProjectCrd();
    expect(crd.metadata.name).toBe('appprojects.argoproj.io');
    expect(crd.spec).toMatchObject({
      group: 'argoproj.io',
      scope: 'Namespaced',
      names: {
        kind: 'AppProject',
        listKind: 'AppProjectList',
        plural: 'appprojects',
        singular: 'appproject',
        shortNames: ['appproj', 'appprojs'],
      },
    });
    expect(version(appProjectCrd())).toMatchObject({ name: 'v1alpha1', served: true, storage: true });
  });

  it('has structural schemas that preserve unknown fields and require nothing', () => {
    for (const crd of [applicationCrd(), appProjectCrd()]) {
      const schema = schemaOf(crd);
      expect(schema.type).toBe('object');
      expect(schema.properties).toHaveProperty('metadata', { type: 'object' });
      for (const [at, node] of nodes(schema)) {
        expect(node.type, `${at} needs a type`).toBeDefined();
        expect(node.required, `${at} must not require fields`).toBeUndefined();
        if (node.type === 'object' && at !== '' && at !== '.metadata') {
          expect(node['x-kubernetes-preserve-unknown-fields'], `${at} must preserve unknown fields`).toBe(
            true,
          );
        }
      }
    }
    const props = schemaOf(applicationCrd()).properties as Record<string, Schema>;
    for (const key of ['spec', 'status', 'operation']) {
      expect(props[key]).toMatchObject({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    }
  });

  it('admits the seed Application, and ones the controller must report instead', () => {
    const schema = schemaOf(applicationCrd());
    expect(rejections(schema, SEED_APPLICATION)).toEqual([]);
    const broken = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'x' },
      spec: {
        project: 'nope',
        source: { path: '.', someFutureField: 1 },
        destination: {},
        newArgoField: { a: 1 },
      },
      status: { sync: { status: 'Synced' }, anything: [1, 2] },
      operation: { sync: { revision: 'abc' } },
    };
    expect(rejections(schema, broken)).toEqual([]);
    expect(rejections(schema, { ...broken, spec: {} })).toEqual([]);
    // Types are Argo CD's own, so a mistyped field is rejected exactly as Argo CD would.
    expect(
      rejections(schema, { ...broken, spec: { syncPolicy: { syncOptions: 'CreateNamespace=true' } } }),
    ).toEqual(['.spec.syncPolicy.syncOptions: not array']);
  });

  it('renders the three CRDs as one multi-document YAML', () => {
    const docs = parseAllDocuments(crdManifestsYaml()).map((d) => d.toJS() as { metadata: { name: string } });
    expect(docs.map((d) => d.metadata.name)).toEqual([
      'applications.argoproj.io',
      'appprojects.argoproj.io',
      'applicationsets.argoproj.io',
    ]);
    expect(docs[0]).toEqual(applicationCrd());
    expect(docs[2]).toEqual(applicationSetCrd());
  });

  it('names the ApplicationSet CRD as Argo CD does, with the appset short name and a status subresource', () => {
    const crd = applicationSetCrd();
    expect(crd.metadata.name).toBe('applicationsets.argoproj.io');
    expect(crd.spec).toMatchObject({
      group: 'argoproj.io',
      scope: 'Namespaced',
      names: {
        kind: 'ApplicationSet',
        plural: 'applicationsets',
        shortNames: expect.arrayContaining(['appset']),
      },
    });
    expect(version(crd).subresources).toEqual({ status: {} });
    expect(crdFiles().map((f) => f.path)).toContain('deploy/crds/applicationset-crd.yaml');
  });
});
