import { describe, expect, it } from 'vitest';
import { UserError, type KubeObject, type ManagedFieldsEntry } from '../core/index.js';
import { diffObject, formatChanges, formatDiff, type DiffInput } from './index.js';
import { fixture } from './testkit.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const desired = () => fixture('deployment-desired');
/**
 * Live after some edit, and the dry-run result of a forced apply of deployment-desired.yaml: live
 * with the fields these tests edit set back to desired's values (other managers' additions stay).
 */
function withPredicted(live: KubeObject): { live: KubeObject; predicted: KubeObject } {
  const predicted = structuredClone(live) as Obj;
  predicted.spec.replicas = 5;
  predicted.spec.template.spec.containers[0].image = 'ghcr.io/example/myapp:1.4.2';
  return { live, predicted: predicted as KubeObject };
}
function addManager(obj: KubeObject, entry: ManagedFieldsEntry): KubeObject {
  obj.metadata.managedFields = [...(obj.metadata.managedFields ?? []), entry];
  return obj;
}
const bothModes = (live: KubeObject, extra: Partial<DiffInput> = {}) => [
  diffObject({ desired: desired(), live, ...extra }),
  diffObject({ desired: desired(), ...withPredicted(live), ...extra }),
];

describe('Deployment scenarios', () => {
  it('a freshly applied Deployment is not modified (defaults, status, managedFields, quantities)', () => {
    for (const d of bothModes(fixture('deployment-live-fresh'))) {
      expect(d.modified).toBe(false);
      expect(d.changes).toEqual([]);
      expect(formatDiff(d)).toBe('');
      expect(d.desired).toEqual(d.live);
      expect(d.live!.status).toBeUndefined();
      expect(d.live!.metadata.managedFields).toBeUndefined();
    }
  });

  it('kubectl scale shows exactly spec.replicas', () => {
    for (const d of bothModes(fixture('deployment-live-kubectl-scale'))) {
      expect(d.modified).toBe(true);
      expect(d.changes).toEqual([{ path: 'spec.replicas', live: 1, desired: 5 }]);
      expect(formatChanges(d.changes)).toEqual(['spec.replicas: 1 → 5']);
      expect(formatDiff(d)).toBe(
        [
          '--- live',
          '+++ desired',
          '@@ -9,7 +9,7 @@',
          '   namespace: production',
          ' spec:',
          '   progressDeadlineSeconds: 600',
          '-  replicas: 1',
          '+  replicas: 5',
          '   revisionHistoryLimit: 10',
          '   selector:',
          '     matchLabels:',
          '',
        ].join('\n'),
      );
    }
  });

  it('kubectl label is drift although Git never mentions the label', () => {
    for (const d of bothModes(fixture('deployment-live-kubectl-label'))) {
      expect(d.changes).toEqual([{ path: 'metadata.labels.team', live: 'x' }]);
      expect(formatChanges(d.changes)).toEqual(['metadata.labels.team: "x" → absent']);
      expect(formatDiff(d)).toBe(
        [
          '--- live',
          '+++ desired',
          '@@ -5,7 +5,6 @@',
          '     argocd.argoproj.io/tracking-id: myapp:apps/Deployment:production/myapp',
          '   labels:',
          '     app.kubernetes.io/name: myapp',
          '-    team: x',
          '   name: myapp',
          '   namespace: production',
          ' spec:',
          '',
        ].join('\n'),
      );
    }
  });

  it('a label added by a controller is not drift', () => {
    for (const d of bothModes(fixture('deployment-live-controller-label'))) {
      expect(d).toMatchObject({ modified: false, changes: [] });
      expect(d.live!.metadata.labels).toEqual({
        'app.kubernetes.io/name': 'myapp',
        'sidecar.example.com/injected': 'true',
      });
    }
  });

  it('a label also owned by Mooring or by a controller is not a foreign edit', () => {
    const coOwned = (manager: string, operation: 'Apply' | 'Update') =>
      addManager(fixture('deployment-live-kubectl-label'), {
        manager,
        operation,
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } },
      });
    for (const d of bothModes(coOwned('mooring', 'Apply'))) expect(d.changes).toEqual([]);
    for (const d of bothModes(coOwned('team-operator', 'Update'))) expect(d.changes).toEqual([]);
  });

  it('honours foreignManagers and ownManager', () => {
    const live = fixture('deployment-live-kubectl-label');
    expect(diffObject({ desired: desired(), live, foreignManagers: ['k9s'] }).changes).toEqual([]);
    expect(diffObject({ desired: desired(), live, ownManager: 'kubectl-label' }).changes).toEqual([]);
    const byController = fixture('deployment-live-controller-label');
    expect(
      diffObject({ desired: desired(), live: byController, foreignManagers: ['sidecar-*'] }).changes,
    ).toEqual([{ path: 'metadata.labels["sidecar.example.com/injected"]', live: 'true' }]);
  });

  it('an env var added with kubectl set env is one whole-element change', () => {
    const live = fixture('deployment-live-fresh') as Obj;
    live.spec.template.spec.containers[0].env.push({ name: 'DEBUG', value: '1' });
    addManager(live as KubeObject, {
      manager: 'kubectl-set',
      operation: 'Update',
      fieldsV1: {
        'f:spec': {
          'f:template': {
            'f:spec': {
              'f:containers': {
                'k:{"name":"app"}': {
                  'f:env': { 'k:{"name":"DEBUG"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
                },
              },
            },
          },
        },
      },
    });
    for (const d of bothModes(live as KubeObject)) {
      expect(d.changes).toEqual([
        { path: 'spec.template.spec.containers[0].env[1]', live: { name: 'DEBUG', value: '1' } },
      ]);
    }
  });

  it('a list element people added is not reported once a controller owns part of it', () => {
    const live = fixture('deployment-live-fresh') as Obj;
    live.spec.template.spec.volumes = [{ name: 'cache', emptyDir: { sizeLimit: '1Gi' } }];
    const volume = (fields: Obj) => ({
      'f:spec': { 'f:template': { 'f:spec': { 'f:volumes': { 'k:{"name":"cache"}': fields } } } },
    });
    addManager(live as KubeObject, {
      manager: 'kubectl-edit',
      operation: 'Update',
      fieldsV1: volume({ '.': {}, 'f:name': {}, 'f:emptyDir': { '.': {} } }),
    });
    const byPeople = diffObject({
      desired: desired(),
      ...withPredicted(structuredClone(live) as KubeObject),
    });
    expect(byPeople.changes).toEqual([
      { path: 'spec.template.spec.volumes[0]', live: { name: 'cache', emptyDir: { sizeLimit: '1Gi' } } },
    ]);
    addManager(live as KubeObject, {
      manager: 'cache-sizer',
      operation: 'Update',
      fieldsV1: volume({ 'f:emptyDir': { 'f:sizeLimit': {} } }),
    });
    expect(diffObject({ desired: desired(), ...withPredicted(live as KubeObject) }).changes).toEqual([]);
  });

  it('kubectl rollout restart is not drift', () => {
    const live = fixture('deployment-live-fresh') as Obj;
    live.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2026-11-21T08:00:00Z' };
    addManager(live as KubeObject, {
      manager: 'kubectl-rollout',
      operation: 'Update',
      fieldsV1: {
        'f:spec': {
          'f:template': {
            'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/restartedAt': {} } },
          },
        },
      },
    });
    for (const d of bothModes(live as KubeObject)) expect(d.changes).toEqual([]);
  });

  it('without a dry-run, a field only Mooring applied that Git dropped is drift', () => {
    const live = fixture('deployment-live-fresh') as Obj;
    live.metadata.labels.tier = 'web';
    (live.metadata.managedFields[0].fieldsV1['f:metadata']['f:labels'] as Obj)['f:tier'] = {};
    const d = diffObject({ desired: desired(), live: live as KubeObject });
    expect(d.changes).toEqual([{ path: 'metadata.labels.tier', live: 'web' }]);
  });

  it('compares quantities by value without a dry-run', () => {
    const changed = desired() as Obj;
    changed.spec.template.spec.containers[0].resources.limits.memory = '1Gi';
    const d = diffObject({ desired: changed as KubeObject, live: fixture('deployment-live-fresh') });
    expect(formatChanges(d.changes)).toEqual([
      'spec.template.spec.containers[0].resources.limits.memory: "512Mi" → "1Gi"',
    ]);
  });
});

describe('ignoreDifferences', () => {
  const scaled = () => fixture('deployment-live-kubectl-scale');

  it('by JSON pointer, for matching group/kind/name/namespace only', () => {
    const rule = { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] };
    for (const d of bothModes(scaled(), { ignoreDifferences: [rule] })) {
      expect(d).toMatchObject({ modified: false, changes: [] });
      expect((d.live as Obj).spec.replicas).toBeUndefined();
    }
    const ignoreAll = { group: '*', kind: '*', jsonPointers: ['/spec/replicas'] };
    expect(diffObject({ desired: desired(), live: scaled(), ignoreDifferences: [ignoreAll] }).modified).toBe(
      false,
    );
    const byName = {
      kind: 'Deployment',
      name: 'myapp',
      namespace: 'production',
      jsonPointers: ['/spec/replicas'],
    };
    expect(diffObject({ desired: desired(), live: scaled(), ignoreDifferences: [byName] }).modified).toBe(
      false,
    );
    for (const other of [
      { ...rule, kind: 'StatefulSet' },
      { ...rule, group: 'extensions' },
      { ...rule, name: 'other' },
      { ...rule, namespace: 'staging' },
    ]) {
      expect(diffObject({ desired: desired(), live: scaled(), ignoreDifferences: [other] }).changes).toEqual([
        { path: 'spec.replicas', live: 1, desired: 5 },
      ]);
    }
  });

  it('by jq path with select', () => {
    const live = fixture('deployment-live-fresh') as Obj;
    live.spec.template.spec.containers[0].image = 'ghcr.io/example/myapp:1.4.3';
    const rule = {
      group: 'apps',
      kind: 'Deployment',
      jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "app") | .image'],
    };
    for (const d of bothModes(live as KubeObject)) {
      expect(formatChanges(d.changes)).toEqual([
        'spec.template.spec.containers[0].image: "ghcr.io/example/myapp:1.4.3" → "ghcr.io/example/myapp:1.4.2"',
      ]);
    }
    for (const d of bothModes(live as KubeObject, { ignoreDifferences: [rule] }))
      expect(d.changes).toEqual([]);
  });

  it('by managedFieldsManagers (an autoscaler owning spec.replicas)', () => {
    const live = scaled() as Obj;
    live.spec.replicas = 3;
    live.metadata.managedFields[2].manager = 'kube-controller-manager';
    const rule = { group: 'apps', kind: 'Deployment', managedFieldsManagers: ['kube-controller-manager'] };
    for (const d of bothModes(live as KubeObject)) {
      expect(d.changes).toEqual([{ path: 'spec.replicas', live: 3, desired: 5 }]);
    }
    for (const d of bothModes(live as KubeObject, { ignoreDifferences: [rule] }))
      expect(d.changes).toEqual([]);
  });

  it('by managedFieldsManagers, removing a whole injected list element', () => {
    const live = fixture('deployment-live-fresh') as Obj;
    live.spec.template.spec.containers.push({ name: 'istio-proxy', image: 'istio/proxyv2:1.24' });
    addManager(live as KubeObject, {
      manager: 'istio-sidecar-injector',
      operation: 'Update',
      fieldsV1: {
        'f:spec': {
          'f:template': {
            'f:spec': {
              'f:containers': { 'k:{"name":"istio-proxy"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
            },
          },
        },
      },
    });
    expect(diffObject({ desired: desired(), live: live as KubeObject }).changes).toEqual([
      {
        path: 'spec.template.spec.containers[1]',
        live: { name: 'istio-proxy', image: 'istio/proxyv2:1.24' },
      },
    ]);
    const rule = { kind: 'Deployment', managedFieldsManagers: ['istio-sidecar-injector'] };
    const d = diffObject({ desired: desired(), live: live as KubeObject, ignoreDifferences: [rule] });
    expect(d.changes).toEqual([]);
    expect((d.live as Obj).spec.template.spec.containers).toHaveLength(1);
  });

  it('rejects an invalid rule with a ComparisonError', () => {
    const bad = { kind: 'Deployment', jqPathExpressions: ['.spec.template.spec.containers | map(.image)'] };
    let err: unknown;
    try {
      diffObject({ desired: desired(), live: scaled(), ignoreDifferences: [bad] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ conditionType: 'ComparisonError' });
    expect((err as Error).message).toMatch(
      /^ignoreDifferences: invalid jqPathExpression ".*" at position 33: unsupported function "map"/,
    );
  });
});

describe('missing and extra objects', () => {
  it('an object not in the cluster is missing', () => {
    const d = diffObject({ desired: desired() });
    expect(d.modified).toBe(true);
    expect(d.live).toBeUndefined();
    expect(d.changes).toEqual([{ path: '', desired: d.desired }]);
    expect(d.desired!.metadata.name).toBe('myapp');
    expect(formatChanges(d.changes)).toEqual(['(object): absent → present']);
    const text = formatDiff(d);
    expect(text.split('\n').slice(0, 4)).toEqual([
      '--- live',
      '+++ desired',
      '@@ -0,0 +1,35 @@',
      '+apiVersion: apps/v1',
    ]);
    expect(
      text
        .split('\n')
        .slice(3)
        .filter((l) => l !== '' && !l.startsWith('+')),
    ).toEqual([]);
  });
  it('an object only in the cluster is extra', () => {
    const d = diffObject({ live: fixture('deployment-live-fresh') });
    expect(d.modified).toBe(true);
    expect(d.desired).toBeUndefined();
    expect(d.changes).toEqual([{ path: '', live: d.live }]);
    expect(formatChanges(d.changes)).toEqual(['(object): present → absent']);
    expect(formatDiff(d).split('\n').slice(2, 4)).toEqual(['@@ -1,51 +0,0 @@', '-apiVersion: apps/v1']);
  });
  it('nothing on either side is no difference', () => {
    expect(diffObject({})).toEqual({ modified: false, changes: [] });
  });
});
