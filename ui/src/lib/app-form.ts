import { parse } from 'yaml';
import type { Application } from '../../../src/api/contract/index.js';

/** The fields of the "new application" form. */
export interface AppForm {
  name: string;
  project: string;
  /** Namespace the Application object lives in (the controller's, usually argocd). */
  appNamespace: string;
  repoURL: string;
  path: string;
  targetRevision: string;
  /** Destination by server URL, or by cluster name (one of the two). */
  destServer: string;
  destName: string;
  destNamespace: string;
  autoSync: boolean;
  prune: boolean;
  selfHeal: boolean;
  createNamespace: boolean;
}

/** A new form's values. */
export function emptyAppForm(appNamespace = 'argocd'): AppForm {
  return {
    name: '',
    project: 'default',
    appNamespace,
    repoURL: '',
    path: '',
    targetRevision: 'HEAD',
    destServer: 'https://kubernetes.default.svc',
    destName: '',
    destNamespace: '',
    autoSync: false,
    prune: false,
    selfHeal: false,
    createNamespace: false,
  };
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** What is wrong with the form, field by field (empty when it can be submitted). */
export function validateAppForm(f: AppForm): Partial<Record<keyof AppForm, string>> {
  const e: Partial<Record<keyof AppForm, string>> = {};
  if (!f.name.trim()) e.name = 'A name is required.';
  else if (!DNS1123.test(f.name.trim()) || f.name.trim().length > 253)
    e.name = 'Lowercase letters, digits, "-" and "." only, starting and ending with a letter or digit.';
  if (!f.project.trim()) e.project = 'A project is required.';
  if (!f.repoURL.trim()) e.repoURL = 'A repository URL is required.';
  if (f.destServer.trim() && f.destName.trim()) e.destName = 'Give the cluster URL or its name, not both.';
  if (!f.destServer.trim() && !f.destName.trim())
    e.destServer = 'A destination cluster (URL or name) is required.';
  if (!f.autoSync && (f.prune || f.selfHeal)) e.autoSync = 'Prune and self-heal need automated sync.';
  return e;
}

/** The Application the form describes. */
export function formToApplication(f: AppForm): Application {
  const syncOptions = f.createNamespace ? ['CreateNamespace=true'] : [];
  const automated = f.autoSync ? { prune: f.prune, selfHeal: f.selfHeal } : undefined;
  const syncPolicy =
    automated || syncOptions.length
      ? { ...(automated ? { automated } : {}), ...(syncOptions.length ? { syncOptions } : {}) }
      : undefined;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: f.name.trim(), namespace: f.appNamespace.trim() || undefined },
    spec: {
      project: f.project.trim(),
      source: {
        repoURL: f.repoURL.trim(),
        path: f.path.trim() || '.',
        targetRevision: f.targetRevision.trim() || 'HEAD',
      },
      destination: {
        ...(f.destServer.trim() ? { server: f.destServer.trim() } : { name: f.destName.trim() }),
        ...(f.destNamespace.trim() ? { namespace: f.destNamespace.trim() } : {}),
      },
      ...(syncPolicy ? { syncPolicy } : {}),
    },
  };
}

/** Reads an Application from YAML (or JSON); throws a readable message when it is not one. */
export function parseApplicationYaml(text: string): Application {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`Not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new Error('Expected one Application object.');
  const app = doc as Partial<Application>;
  if (app.kind !== 'Application')
    throw new Error(
      `Expected kind: Application, got ${app.kind === undefined ? 'no kind' : `kind: ${String(app.kind)}`}.`,
    );
  if (!app.metadata?.name) throw new Error('metadata.name is required.');
  if (!app.spec || typeof app.spec !== 'object') throw new Error('spec is required.');
  if (!app.spec.source && !app.spec.sources) throw new Error('spec.source is required.');
  if (!app.spec.destination) throw new Error('spec.destination is required.');
  return { apiVersion: 'argoproj.io/v1alpha1', ...app } as Application;
}
