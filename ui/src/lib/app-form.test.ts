import { describe, expect, it } from 'vitest';
import { emptyAppForm, formToApplication, parseApplicationYaml, validateAppForm } from './app-form.js';

describe('the new-application form', () => {
  const filled = {
    ...emptyAppForm(),
    name: 'myapp-dev',
    repoURL: 'http://git/cfg.git',
    path: 'overlays/development',
    targetRevision: 'main',
    destNamespace: 'development',
    autoSync: true,
    prune: true,
    selfHeal: true,
    createNamespace: true,
  };

  it('builds the seed-style Application', () => {
    expect(validateAppForm(filled)).toEqual({});
    expect(formToApplication(filled)).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'myapp-dev', namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: 'http://git/cfg.git', path: 'overlays/development', targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'development' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
      },
    });
  });

  it('says what is wrong', () => {
    const e = validateAppForm({ ...emptyAppForm(), name: 'Bad_Name', destName: 'other', prune: true });
    expect(Object.keys(e).sort()).toEqual(['autoSync', 'destName', 'name', 'repoURL']);
    expect(validateAppForm({ ...filled, destServer: '', destName: '' }).destServer).toMatch(/required/);
  });

  it('targets a cluster by name, without sync policy when manual', () => {
    const app = formToApplication({
      ...filled,
      destServer: '',
      destName: 'prod-eu',
      autoSync: false,
      prune: false,
      selfHeal: false,
      createNamespace: false,
    });
    expect(app.spec.destination).toEqual({ name: 'prod-eu', namespace: 'development' });
    expect(app.spec.syncPolicy).toBeUndefined();
  });
});

describe('parseApplicationYaml', () => {
  it('reads the seed manifest', () => {
    const app = parseApplicationYaml(
      'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\nspec:\n  project: default\n  source: {repoURL: x}\n  destination: {namespace: b}\n',
    );
    expect(app.metadata.name).toBe('a');
  });
  it('refuses what is not an Application, readably', () => {
    expect(() => parseApplicationYaml('kind: Deployment\nmetadata: {name: a}')).toThrow(
      'Expected kind: Application, got kind: Deployment.',
    );
    expect(() => parseApplicationYaml('a: [')).toThrow(/^Not valid YAML/);
    expect(() => parseApplicationYaml('- 1')).toThrow('Expected one Application object.');
    expect(() =>
      parseApplicationYaml('kind: Application\nmetadata: {name: a}\nspec: {destination: {}}'),
    ).toThrow('spec.source is required.');
  });
});
