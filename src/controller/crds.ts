import { stringify } from 'yaml';
import { ARGO_GROUP, type KubeObject } from '../core/index.js';

// The CRDs Mooring serves: Argo CD's argoproj.io/v1alpha1 Application and AppProject, with the same
// names so existing manifests apply unchanged. The schemas are deliberately loose: every object
// preserves unknown fields and nothing is `required`, so an Application with a missing repoURL or an
// unknown project is stored and Mooring reports the mistake as a condition, which the user can see
// with `kubectl describe`, instead of the apiserver rejecting it. Leaves carry the same types as
// Argo CD's CRD, so whatever Argo CD accepts is accepted here too.

const VERSION = 'v1alpha1';

type Schema = Record<string, unknown>;

const str = (description: string): Schema => ({ type: 'string', description });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const int = (description: string): Schema => ({ type: 'integer', format: 'int64', description });
const list = (description: string, items: Schema): Schema => ({ type: 'array', description, items });
/** An object that keeps fields the schema does not list (newer Argo CD fields, typos alike). */
const obj = (description: string, properties?: Record<string, Schema>): Schema => ({
  type: 'object',
  description,
  'x-kubernetes-preserve-unknown-fields': true,
  ...(properties ? { properties } : {}),
});

const sourceProperties: Record<string, Schema> = {
  repoURL: str('URL of the Git repository (or Helm repository) that holds the manifests. Required.'),
  path: str('Directory inside the repository that holds the manifests; "." for the repository root.'),
  targetRevision: str('Branch, tag or commit to deploy (Git), or chart version (Helm). Defaults to HEAD.'),
  chart: str('Helm chart name, for a Helm repository source.'),
  directory: obj('Options for a plain directory of manifests: recurse, include, exclude.'),
  kustomize: obj('Options for a Kustomize source: images, namePrefix, nameSuffix, commonLabels, ...'),
  helm: obj('Options for a Helm source: valueFiles, values, valuesObject, parameters, releaseName, ...'),
  plugin: obj('Config management plugin options (not supported by Mooring).'),
};

const applicationSchema: Schema = {
  type: 'object',
  description:
    'An Argo CD Application: a source of manifests (spec.source) kept in sync with a destination cluster and namespace (spec.destination).',
  properties: {
    apiVersion: str('argoproj.io/v1alpha1'),
    kind: str('Application'),
    metadata: { type: 'object' },
    spec: obj('What to deploy, where, and how to keep it in sync.', {
      project: str('Name of the AppProject that constrains this Application; empty means "default".'),
      source: obj('Where the manifests come from.', sourceProperties),
      sources: list(
        'Several sources (Argo CD multi-source). Not supported by Mooring yet: use spec.source.',
        obj('One source, shaped like spec.source.', sourceProperties),
      ),
      destination: obj(
        'The cluster (by server URL or by name, not both) and default namespace to deploy to.',
        {
          server: str('API server URL of the destination cluster, e.g. https://kubernetes.default.svc.'),
          name: str('Name of the destination cluster, e.g. in-cluster. Mutually exclusive with server.'),
          namespace: str('Namespace for manifests that do not set one.'),
        },
      ),
      syncPolicy: obj('When and how to sync.', {
        automated: obj('Sync automatically when the desired state changes.', {
          prune: bool('Delete resources that are no longer in the source.'),
          selfHeal: bool('Revert changes made in the cluster outside of Git.'),
          allowEmpty: bool('Allow an automated sync to delete every resource of the app.'),
          enabled: bool('Turn automated sync on or off without removing the block.'),
        }),
        syncOptions: list('Options such as CreateNamespace=true, PruneLast=true, ServerSideApply=true.', {
          type: 'string',
        }),
        retry: obj('Retry a failed sync: limit and backoff (duration, factor, maxDuration).'),
        managedNamespaceMetadata: obj(
          'Labels and annotations for a namespace created by CreateNamespace=true.',
        ),
      }),
      ignoreDifferences: list(
        'Fields to ignore when comparing desired and live state.',
        obj('group, kind, name, namespace, jsonPointers, jqPathExpressions, managedFieldsManagers.'),
      ),
      revisionHistoryLimit: int('How many past syncs to keep in status.history (default 10).'),
      info: list('Free-form name/value pairs shown to users.', obj('name and value.')),
    }),
    status: obj('Observed state, written by the controller: sync, health, resources, conditions, history.'),
    operation: obj('A requested operation (sync), set by a user or the CLI and cleared by the controller.'),
  },
};

const groupKind = (description: string): Schema =>
  list(
    description,
    obj('A group and kind; both accept globs.', { group: str('API group'), kind: str('Kind') }),
  );

const appProjectSchema: Schema = {
  type: 'object',
  description:
    'An Argo CD AppProject: which repositories, destinations and resource kinds its Applications may use.',
  properties: {
    apiVersion: str('argoproj.io/v1alpha1'),
    kind: str('AppProject'),
    metadata: { type: 'object' },
    spec: obj('The restrictions of the project.', {
      description: str('Free-form description.'),
      sourceRepos: list('Repository URL globs Applications may deploy from; "!" denies.', { type: 'string' }),
      destinations: list(
        'Cluster and namespace globs Applications may deploy to; "!" denies.',
        obj('A destination pattern.', {
          server: str('API server URL glob.'),
          name: str('Cluster name glob.'),
          namespace: str('Namespace glob.'),
        }),
      ),
      sourceNamespaces: list(
        'Namespaces (globs) outside the control namespace whose Applications may use this project.',
        {
          type: 'string',
        },
      ),
      clusterResourceWhitelist: groupKind('Cluster-scoped kinds that may be deployed; none when empty.'),
      clusterResourceBlacklist: groupKind('Cluster-scoped kinds that may not be deployed.'),
      namespaceResourceWhitelist: groupKind('If set, the only namespaced kinds that may be deployed.'),
      namespaceResourceBlacklist: groupKind('Namespaced kinds that may not be deployed.'),
    }),
    status: obj('Observed state of the project (Argo CD keeps JWT tokens here).'),
  },
};

function crd(opts: {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  schema: Schema;
  printerColumns?: Schema[];
  statusSubresource: boolean;
}): KubeObject {
  const name = `${opts.plural}.${ARGO_GROUP}`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name,
      labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'mooring' },
    },
    spec: {
      group: ARGO_GROUP,
      names: {
        kind: opts.kind,
        listKind: `${opts.kind}List`,
        plural: opts.plural,
        singular: opts.singular,
        shortNames: opts.shortNames,
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          ...(opts.printerColumns ? { additionalPrinterColumns: opts.printerColumns } : {}),
          schema: { openAPIV3Schema: opts.schema },
          ...(opts.statusSubresource ? { subresources: { status: {} } } : {}),
        },
      ],
    },
  };
}

/** The CustomResourceDefinition of argoproj.io/v1alpha1 Application. */
export function applicationCrd(): KubeObject {
  return crd({
    kind: 'Application',
    plural: 'applications',
    singular: 'application',
    shortNames: ['app', 'apps'],
    schema: applicationSchema,
    printerColumns: [
      { name: 'Sync Status', type: 'string', jsonPath: '.status.sync.status' },
      { name: 'Health Status', type: 'string', jsonPath: '.status.health.status' },
      { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', priority: 10 },
      { name: 'Project', type: 'string', jsonPath: '.spec.project', priority: 10 },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    // Status is written through /status, so a user's `kubectl apply` can never overwrite it and
    // metadata.generation moves only when the spec changes.
    statusSubresource: true,
  });
}

/** The CustomResourceDefinition of argoproj.io/v1alpha1 AppProject. */
export function appProjectCrd(): KubeObject {
  return crd({
    kind: 'AppProject',
    plural: 'appprojects',
    singular: 'appproject',
    shortNames: ['appproj', 'appprojs'],
    schema: appProjectSchema,
    // As in Argo CD: no status subresource, so projects exported with status (JWT tokens) keep it.
    statusSubresource: false,
  });
}

/** One object as YAML, long descriptions kept on one line. */
export function toYaml(obj: unknown): string {
  return stringify(obj, { lineWidth: 0 });
}

/** The three CRDs (Application, AppProject, ApplicationSet) as one multi-document YAML stream. */
export function crdManifestsYaml(): string {
  return [applicationCrd(), appProjectCrd(), applicationSetCrd()].map(toYaml).join('---\n');
}

const GENERATED_HEADER = '# Generated by scripts/gen-crds.ts from src/controller/crds.ts: do not edit.\n';

/** The files under deploy/crds (paths relative to the repository root) and their content. */
export function crdFiles(): { path: string; content: string }[] {
  return [
    { path: 'deploy/crds/application-crd.yaml', content: GENERATED_HEADER + toYaml(applicationCrd()) },
    { path: 'deploy/crds/appproject-crd.yaml', content: GENERATED_HEADER + toYaml(appProjectCrd()) },
    {
      path: 'deploy/crds/applicationset-crd.yaml',
      content: GENERATED_HEADER + toYaml(applicationSetCrd()),
    },
  ];
}

// The ApplicationSet CRD: as loose as the others (everything preserves unknown fields, nothing is
// required), so a set with a mistake is stored and its status says what is wrong.
const applicationSetSchema: Schema = {
  type: 'object',
  description:
    'An Argo CD ApplicationSet: generators produce parameter sets, and each one renders the template into an Application.',
  properties: {
    apiVersion: str('argoproj.io/v1alpha1'),
    kind: str('ApplicationSet'),
    metadata: { type: 'object' },
    spec: obj('The generators, the Application template and how generated Applications are kept.', {
      generators: list(
        'Parameter sources: list, clusters, git (directories or files), matrix, merge.',
        obj('One generator.'),
      ),
      template: obj('The Application every parameter set renders: metadata (name, labels, ...) and spec.'),
      goTemplate: bool(
        'Render the template with Go templates (.path.basename in double braces) instead of fasttemplate (path.basename).',
      ),
      goTemplateOptions: list('Go template options, e.g. missingkey=error.', { type: 'string' }),
      templatePatch: str(
        'A YAML document rendered with the parameters and merged over the rendered template (goTemplate only).',
      ),
      syncPolicy: obj('How the set changes the Applications it generates.', {
        applicationsSync: str('create-only, create-update, create-delete or sync (the default).'),
        preserveResourcesOnDeletion: bool(
          "Keep the Applications' resources when the set deletes an Application.",
        ),
      }),
      strategy: obj(
        'AllAtOnce (the default) or RollingSync: rollingSync.steps (matchExpressions on app labels, maxUpdate) sync the apps step by step.',
      ),
      ignoreApplicationDifferences: list(
        'Fields of generated Applications the set does not overwrite.',
        obj('One rule.'),
      ),
    }),
    status: obj('What the controller observed.', {
      conditions: list('ErrorOccurred, ParametersGenerated, ResourcesUpToDate.', obj('One condition.')),
      resources: list('The generated Applications with their sync and health.', obj('One Application.')),
      applicationStatus: list(
        'RollingSync: each Application and its step and progress (Waiting, Pending, Progressing, Healthy).',
        obj('One Application.'),
      ),
    }),
  },
};

/** The CustomResourceDefinition of argoproj.io/v1alpha1 ApplicationSet. */
export function applicationSetCrd(): KubeObject {
  return crd({
    kind: 'ApplicationSet',
    plural: 'applicationsets',
    singular: 'applicationset',
    shortNames: ['appset', 'appsets'],
    schema: applicationSetSchema,
    printerColumns: [
      {
        name: 'Status',
        type: 'string',
        jsonPath: ".status.conditions[?(@.type=='ResourcesUpToDate')].status",
      },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    statusSubresource: true,
  });
}
