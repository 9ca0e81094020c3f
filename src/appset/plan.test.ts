import { describe, expect, it } from 'vitest';
import type {
  Application,
  ApplicationSet,
  ApplicationSetStatus,
  ApplicationsSyncPolicy,
} from '../core/index.js';
import { planApplications, policyAllows } from './plan.js';
import { reconcileAppSet, type AppSetDeps } from './reconcile.js';
import { silentLogger } from '../core/index.js';

const set = (
  policy?: ApplicationsSyncPolicy,
  extra: Partial<ApplicationSet['spec']> = {},
): ApplicationSet => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'ApplicationSet',
  metadata: { name: 'envs', namespace: 'argocd', uid: 'uid-envs' },
  spec: {
    generators: [{ list: { elements: [{ env: 'dev' }, { env: 'prod' }] } }],
    template: {
      metadata: { name: 'app-{{env}}' },
      spec: {
        project: 'default',
        source: { repoURL: 'https://g/r.git', path: 'overlays/{{env}}' },
        destination: { server: 'https://kubernetes.default.svc', namespace: '{{env}}' },
      },
    },
    ...(policy ? { syncPolicy: { applicationsSync: policy } } : {}),
    ...extra,
  },
});

const app = (name: string, owner?: { name: string; uid: string }, path = 'overlays/x'): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: {
    name,
    namespace: 'argocd',
    ...(owner
      ? {
          ownerReferences: [
            { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: owner.name, uid: owner.uid },
          ],
        }
      : {}),
  },
  spec: {
    project: 'default',
    source: { repoURL: 'https://g/r.git', path },
    destination: { server: 'https://kubernetes.default.svc', namespace: 'x' },
  },
});

const mine = { name: 'envs', uid: 'uid-envs' };

describe('applicationsSync policies', () => {
  // Argo CD: "ApplicationsSync represents the policy applied on the generated applications. Possible values are create-only, create-update, create-delete, sync"
  it.each([
    ['create-only', false, false],
    ['create-update', true, false],
    ['create-delete', false, true],
    ['sync', true, true],
    [undefined, true, true],
  ] as const)('%s: update %s, delete %s', (policy, update, del) => {
    expect(policyAllows(policy)).toEqual({ update, delete: del });
    const desired = [app('app-dev', undefined, 'overlays/dev')];
    const existing = [app('app-dev', mine, 'overlays/old'), app('app-gone', mine)];
    const plan = planApplications(set(policy), desired, existing, true);
    expect(plan.update.map((a) => a.metadata.name)).toEqual(update ? ['app-dev'] : []);
    expect(plan.delete.map((a) => a.metadata.name)).toEqual(del ? ['app-gone'] : []);
  });

  it('creates what is missing, leaves what matches, and deletes nothing when a generator or template failed', () => {
    const desired = [app('app-dev', undefined, 'overlays/dev'), app('app-new', undefined, 'overlays/new')];
    const existing = [app('app-dev', mine, 'overlays/dev'), app('app-gone', mine)];
    const plan = planApplications(set(), desired, existing, false);
    expect(plan.create.map((a) => a.metadata.name)).toEqual(['app-new']);
    expect(plan.upToDate).toEqual(['app-dev']);
    expect(plan.delete).toEqual([]);
  });
});

describe('adoption', () => {
  it('never takes over an Application made by hand or owned by another set', () => {
    const desired = [app('app-dev', undefined, 'overlays/dev'), app('app-prod', undefined, 'overlays/prod')];
    const existing = [app('app-dev'), app('app-prod', { name: 'other', uid: 'uid-other' })];
    const plan = planApplications(set(), desired, existing, true);
    expect(plan.create).toEqual([]);
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.skipped.map((s) => s.reason)).toEqual([
      expect.stringContaining('was not made by this ApplicationSet'),
      expect.stringContaining('belongs to ApplicationSet "other"'),
    ]);
  });
});

describe('a pass', () => {
  function fakeDeps(existing: Application[], projects = ['default']) {
    const applied: string[] = [];
    const removed: string[] = [];
    let status: ApplicationSetStatus | undefined;
    const deps: AppSetDeps = {
      context: (_s, mode) => ({ mode, clusterSecrets: () => [], checkout: async () => '/nonexistent' }),
      applications: () => existing,
      projectExists: (n) => projects.includes(n),
      apply: async (_s, a) => void applied.push(a.metadata.name!),
      remove: async (a) => void removed.push(a.metadata.name!),
      writeStatus: async (_s, st) => void (status = st),
      logger: silentLogger,
    };
    return { deps, applied, removed, status: () => status! };
  }

  it('reports a template error on the set and deletes nothing', async () => {
    const broken = set(undefined, { goTemplate: true, goTemplateOptions: ['missingkey=error'] });
    broken.spec.template.metadata!.name = 'app-{{.nope}}';
    const f = fakeDeps([app('app-dev', mine), app('app-prod', mine)]);
    await reconcileAppSet(broken, f.deps);
    expect(f.removed).toEqual([]);
    expect(f.applied).toEqual([]);
    const c = Object.fromEntries(f.status().conditions!.map((x) => [x.type, x]));
    expect(c.ErrorOccurred).toMatchObject({ status: 'True', reason: 'RenderTemplateParamsError' });
    expect(c.ErrorOccurred!.message).toContain('map has no entry for key "nope"');
    expect(c.ResourcesUpToDate!.status).toBe('False');
    expect(c.ParametersGenerated!.status).toBe('True');
    expect(f.status().resources!.map((r) => r.name)).toEqual(['app-dev', 'app-prod']);
  });

  it('reports a generator error and deletes nothing', async () => {
    const broken = set(undefined, { generators: [{ git: { repoURL: 'https://g/r.git' } }] });
    const f = fakeDeps([app('app-dev', mine)]);
    await reconcileAppSet(broken, f.deps);
    expect(f.removed).toEqual([]);
    const c = Object.fromEntries(f.status().conditions!.map((x) => [x.type, x]));
    expect(c.ParametersGenerated).toMatchObject({ status: 'False' });
    expect(c.ErrorOccurred!.message).toContain('generator 0: git generator: set either directories or files');
  });

  it('checks the project of every generated app', async () => {
    const s = set();
    s.spec.template.spec!.project = 'team-{{env}}';
    const f = fakeDeps([], ['team-dev']);
    await reconcileAppSet(s, f.deps);
    expect(f.applied).toEqual(['app-dev']);
    expect(f.status().conditions![0]!.message).toContain(
      'Application "app-prod": AppProject "team-prod" does not exist',
    );
  });

  it('is up to date when every app was generated and written', async () => {
    const f = fakeDeps([app('app-old', mine)]);
    const r = await reconcileAppSet(set(), f.deps);
    expect(f.applied).toEqual(['app-dev', 'app-prod']);
    expect(f.removed).toEqual(['app-old']);
    expect(r.errors).toEqual([]);
    expect(f.status().conditions!.map((c) => `${c.type}=${c.status}`)).toEqual([
      'ErrorOccurred=False',
      'ParametersGenerated=True',
      'ResourcesUpToDate=True',
    ]);
  });

  it('gives generated apps the cascade finalizer unless the set preserves resources or the template sets finalizers', async () => {
    // Argo CD: "An Argo CD resources-finalizer.argocd.argoproj.io finalizer in .metadata.finalizers of the Application if .syncPolicy.preserveResourcesOnDeletion is set to false."
    const seen: Record<string, string[] | undefined> = {};
    const run = async (s: ApplicationSet) => {
      const f = fakeDeps([]);
      f.deps.apply = async (_s, a) => void (seen[a.metadata.name!] = a.metadata.finalizers);
      await reconcileAppSet(s, f.deps);
    };
    await run(set());
    expect(seen['app-dev']).toEqual(['resources-finalizer.argocd.argoproj.io']);
    const preserving = set();
    preserving.spec.syncPolicy = { preserveResourcesOnDeletion: true };
    await run(preserving);
    expect(seen['app-dev']).toBeUndefined();
    const own = set();
    own.spec.template.metadata!.finalizers = [];
    await run(own);
    expect(seen['app-dev']).toEqual([]);
  });
});
