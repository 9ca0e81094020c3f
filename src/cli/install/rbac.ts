import type { KubeObject } from '../../core/index.js';
import { when, type RenderContext } from './template.js';

/** The ServiceAccount the controller runs as. */
export const SERVICE_ACCOUNT = 'mooring-controller';

/** Label that adds a ClusterRole to the controller's aggregated ClusterRole; its value is the install namespace. */
export const AGGREGATE_LABEL = 'mooring.dev/aggregate-to-controller';

/** Verbs for objects the controller deploys and prunes: read (its watches), apply (patch+create), delete. */
const MANAGE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/**
 * Core kinds Applications deploy: every core resource but `secrets` (and what nobody deploys: nodes,
 * bindings, componentstatuses, events). Listed by name because RBAC has no "all but": a `*` here
 * would grant reading every Secret in the cluster.
 */
export const CORE_WORKLOAD_RESOURCES = [
  'configmaps',
  'endpoints',
  'limitranges',
  'namespaces',
  'persistentvolumeclaims',
  'persistentvolumes',
  'pods',
  'podtemplates',
  'replicationcontrollers',
  'resourcequotas',
  'serviceaccounts',
  'services',
];

/**
 * Built-in API groups whose every kind Applications may deploy. apiextensions.k8s.io also covers the
 * controller's own need (get, and create when missing, its three CRDs). Custom resources of other groups
 * need an extra ClusterRole (deploy/README.md): RBAC cannot say "every group but the core one".
 */
export const WORKLOAD_GROUPS = [
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'discovery.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'node.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'admissionregistration.k8s.io',
];

/** RBAC kinds, without `escalate` and `bind`: Applications can grant only what the controller holds itself. */
const RBAC_RESOURCES = ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'];

const RBAC_API = 'rbac.authorization.k8s.io/v1';

/** Names of the cluster-scoped RBAC objects: suffixed with the namespace so two installs never share one. */
export function clusterRoleName(namespace: string, part?: string): string {
  return `mooring-controller-${namespace}${part ? `-${part}` : ''}`;
}

function aggregated(namespace: string, part: string, rules: unknown[]): KubeObject {
  return {
    apiVersion: RBAC_API,
    kind: 'ClusterRole',
    metadata: { name: clusterRoleName(namespace, part), labels: { [AGGREGATE_LABEL]: namespace } },
    rules,
  };
}

function subjects(namespace: string): unknown[] {
  return [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace }];
}

/** Role + RoleBinding in one namespace. */
function namespacedGrant(
  namespace: string,
  name: string,
  saNamespace: string,
  rules: unknown[],
): KubeObject[] {
  return [
    { apiVersion: RBAC_API, kind: 'Role', metadata: { name, namespace }, rules },
    {
      apiVersion: RBAC_API,
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: subjects(saNamespace),
    },
  ];
}

/**
 * What the server does with Applications wherever they live: read, write status and annotations,
 * create and delete them for API callers (after its own RBAC and project checks), record and read Events.
 */
const APPLICATION_RULES = [
  {
    apiGroups: ['argoproj.io'],
    resources: ['applications'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
  },
  { apiGroups: ['argoproj.io'], resources: ['applications/status'], verbs: ['get', 'patch', 'update'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'get', 'list', 'watch'] },
];

/**
 * ApplicationSets live in the control-plane namespace only: the set controller reads and watches
 * them, patches them (its refresh annotation) and writes their status; the API creates and deletes
 * them for callers (after its own RBAC). The Applications it generates need only APPLICATION_RULES.
 */
const APPLICATION_SET_RULES = [
  {
    apiGroups: ['argoproj.io'],
    resources: ['applicationsets'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
  },
  { apiGroups: ['argoproj.io'], resources: ['applicationsets/status'], verbs: ['get', 'patch', 'update'] },
];

/** The Secrets of the control-plane namespace the server writes: its signing key and local accounts, the initial admin password, revoked sessions. */
export const SERVER_SECRETS = ['argocd-secret', 'argocd-initial-admin-secret', 'mooring-revoked-tokens'];

/** Options of the RBAC: the control-plane namespace (a marker when rendering the chart). */
export interface RbacOptions {
  namespace: string;
}

/** Rules of what Applications deploy: core kinds but Secrets, the built-in groups, RBAC without escalate/bind. */
const WORKLOAD_RULES = [
  { apiGroups: [''], resources: CORE_WORKLOAD_RESOURCES, verbs: MANAGE },
  { apiGroups: WORKLOAD_GROUPS, resources: ['*'], verbs: MANAGE },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: RBAC_RESOURCES, verbs: MANAGE },
  // The API shows the Events of an app's resources, wherever they run (read only).
  { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
];

/** Opt-in: Applications that deploy Secrets need them watched, which means reading them. */
const SECRET_RULES = [{ apiGroups: [''], resources: ['secrets'], verbs: MANAGE }];

/**
 * rbac.mode=cluster: one aggregated ClusterRole bound cluster-wide (workloads, plus optional
 * extensions anyone can add by label).
 */
export function clusterRbac(ctx: RenderContext, opts: RbacOptions): KubeObject[] {
  const ns = opts.namespace;
  return [
    {
      apiVersion: RBAC_API,
      kind: 'ClusterRole',
      metadata: { name: clusterRoleName(ns) },
      // kube-controller-manager fills `rules` with those of every ClusterRole labelled for this install.
      // No `rules` here: applying even an empty list would take them over and empty them on every
      // re-apply, leaving the controller without rights until the aggregation runs again.
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_LABEL]: ns } }] },
    },
    {
      apiVersion: RBAC_API,
      kind: 'ClusterRoleBinding',
      metadata: { name: clusterRoleName(ns) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName(ns) },
      subjects: subjects(ns),
    },
    // The controller lists and watches every kind it deploys cluster-wide (one watch per kind), so
    // whatever it may write it must also be able to read everywhere.
    aggregated(ns, 'workloads', WORKLOAD_RULES),
    // With more Application namespaces the controller watches Applications cluster-wide (one watch),
    // and keeps those whose namespace it manages; it writes only in the namespaces granted below.
    ...when(ctx, { truthy: 'applicationNamespaces' }, [
      aggregated(ns, 'applications', [
        { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['get', 'list', 'watch'] },
      ]),
    ]),
    ...when(ctx, { truthy: 'rbac.manageSecrets' }, [aggregated(ns, 'secrets', SECRET_RULES)]),
  ];
}

/**
 * rbac.mode=namespaced: what Applications deploy, granted only in one namespace (the control plane's,
 * or an application namespace) by a Role: nothing cluster-wide.
 */
export function namespacedWorkloadRbac(ctx: RenderContext, opts: RbacOptions, target: string): KubeObject[] {
  return namespacedGrant(target, clusterRoleName(opts.namespace, 'workloads'), opts.namespace, [
    ...WORKLOAD_RULES,
    ...when(ctx, { truthy: 'rbac.manageSecrets' }, SECRET_RULES),
  ]);
}

/**
 * What only concerns the control-plane namespace (its Secrets above all): a Role bound to the
 * controller there.
 */
export function controlPlaneRbac(opts: RbacOptions): KubeObject[] {
  const ns = opts.namespace;
  return namespacedGrant(ns, SERVICE_ACCOUNT, ns, [
    // Repository and cluster Secrets (label-selected watches) and argocd-secret (webhook secrets,
    // signing key, local accounts): the only Secrets the server reads, so reading Secrets is
    // granted here and nowhere else.
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] },
    // The server creates its own Secrets when missing and changes only those (RBAC cannot limit
    // `create` by name).
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    { apiGroups: [''], resources: ['secrets'], resourceNames: SERVER_SECRETS, verbs: ['patch', 'update'] },
    ...APPLICATION_RULES,
    // create + patch: the `default` project is created by server-side apply when missing.
    {
      apiGroups: ['argoproj.io'],
      resources: ['appprojects'],
      verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'],
    },
    ...APPLICATION_SET_RULES,
    // Replicas share the apps through one membership Lease each (src/controller/sharding).
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    },
  ]);
}

/** Application rights in one more application namespace. */
export function applicationNamespaceRbac(opts: RbacOptions, appNs: string): KubeObject[] {
  return namespacedGrant(appNs, clusterRoleName(opts.namespace), opts.namespace, APPLICATION_RULES);
}
