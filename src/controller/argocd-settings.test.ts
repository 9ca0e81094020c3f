import { describe, expect, it } from 'vitest';
import { isExcludedResource, parseArgoCDSettings } from './argocd-settings.js';

describe('parseArgoCDSettings', () => {
  it('gives Argo CD defaults for an absent or empty argocd-cm', () => {
    const s = parseArgoCDSettings(undefined);
    expect(s).toMatchObject({
      health: [],
      ignoreDifferences: [],
      trackingMethod: 'annotation',
      instanceLabelKey: 'app.kubernetes.io/instance',
      problems: [],
    });
    expect(s.reconciliationMs).toBeUndefined();
  });

  it('reads per-kind health scripts and the older resource.customizations block (per-key wins)', () => {
    const s = parseArgoCDSettings({
      'resource.customizations.health.argoproj.io_Rollout': 'return {status="Healthy"}',
      'resource.customizations.health.ConfigMap': 'return {status="Degraded"}',
      'resource.customizations': [
        'cert-manager.io/Certificate:',
        '  health.lua: |',
        '    return {status="Progressing"}',
        'argoproj.io/Rollout:',
        '  health.lua: return {status="Unknown"}',
        '  ignoreDifferences: |',
        '    jsonPointers:',
        '    - /spec/replicas',
      ].join('\n'),
    });
    expect(s.health).toEqual([
      { group: 'cert-manager.io', kind: 'Certificate', script: 'return {status="Progressing"}\n' },
      { group: 'argoproj.io', kind: 'Rollout', script: 'return {status="Healthy"}' },
      { group: '', kind: 'ConfigMap', script: 'return {status="Degraded"}' },
    ]);
    expect(s.ignoreDifferences).toEqual([
      { group: 'argoproj.io', kind: 'Rollout', jsonPointers: ['/spec/replicas'] },
    ]);
    expect(s.problems).toEqual([]);
  });

  it('reads system-level ignoreDifferences per kind and for all kinds', () => {
    const s = parseArgoCDSettings({
      'resource.customizations.ignoreDifferences.apps_Deployment': 'jqPathExpressions:\n- .spec.replicas\n',
      'resource.customizations.ignoreDifferences.all': 'managedFieldsManagers:\n- kube-controller-manager\n',
    });
    expect(s.ignoreDifferences).toEqual([
      { group: 'apps', kind: 'Deployment', jqPathExpressions: ['.spec.replicas'] },
      { group: '*', kind: '*', managedFieldsManagers: ['kube-controller-manager'] },
    ]);
  });

  it('reads exclusions, inclusions, the reconciliation timeout and tracking', () => {
    const s = parseArgoCDSettings({
      'resource.exclusions':
        '- apiGroups: ["*.example.com"]\n  kinds: ["Widget"]\n  clusters: ["https://*"]\n',
      'resource.inclusions': '- apiGroups: ["*"]\n  kinds: ["*"]\n',
      'timeout.reconciliation': '0s',
      'application.resourceTrackingMethod': 'annotation+label',
      'application.instanceLabelKey': 'argocd.argoproj.io/instance',
    });
    expect(s.exclusions).toEqual([
      { apiGroups: ['*.example.com'], kinds: ['Widget'], clusters: ['https://*'] },
    ]);
    expect(s.reconciliationMs).toBe(0);
    expect(s.trackingMethod).toBe('annotation+label');
    expect(s.instanceLabelKey).toBe('argocd.argoproj.io/instance');
    expect(isExcludedResource(s, 'a.example.com', 'Widget', 'https://kubernetes.default.svc')).toBe(true);
    expect(isExcludedResource(s, 'a.example.com', 'Gadget', 'https://kubernetes.default.svc')).toBe(false);
    expect(isExcludedResource(s, 'a.example.com', 'Widget', 'http://other')).toBe(false);
    const only = parseArgoCDSettings({ 'resource.inclusions': '- apiGroups: [""]\n  kinds: [ConfigMap]\n' });
    expect(isExcludedResource(only, '', 'ConfigMap', 'x')).toBe(false);
    expect(isExcludedResource(only, 'apps', 'Deployment', 'x')).toBe(true);
  });

  it('names each unusable value in one sentence and keeps the rest', () => {
    const s = parseArgoCDSettings({
      'timeout.reconciliation': 'soon',
      'application.resourceTrackingMethod': 'labels',
      'resource.exclusions': 'apiGroups: x',
      'resource.customizations.ignoreDifferences.apps_Deployment': 'jsonPointers: /spec',
      'resource.customizations.useOpenLibs.argoproj.io_Rollout': 'true',
      'resource.customizations': '[unclosed',
      'application.instanceLabelKey': 'team/app',
    });
    expect(s.instanceLabelKey).toBe('team/app');
    expect(s.trackingMethod).toBe('annotation');
    expect(s.problems).toHaveLength(6);
    expect(s.problems).toContain(
      'argocd-cm application.resourceTrackingMethod: "labels" is not one of annotation, label, annotation+label; this value is ignored',
    );
    expect(s.problems).toContain(
      'argocd-cm resource.customizations.ignoreDifferences.apps_Deployment: jsonPointers must be a list of strings; this value is ignored',
    );
    expect(
      s.problems.find((p) => p.startsWith('argocd-cm timeout.reconciliation: invalid duration "soon"')),
    ).toBeDefined();
    expect(
      s.problems.find((p) =>
        p.startsWith(
          'argocd-cm resource.customizations.useOpenLibs.argoproj.io_Rollout: Mooring never opens',
        ),
      ),
    ).toBeDefined();
  });
});
