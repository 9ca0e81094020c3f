import { stringify } from 'yaml';
import { UserError, type KubeObject } from '../../core/index.js';
import { appProjectCrd, applicationCrd, applicationSetCrd } from '../../controller/index.js';
import {
  applicationNamespaceRbac,
  clusterRbac,
  controlPlaneRbac,
  namespacedWorkloadRbac,
  SERVICE_ACCOUNT,
} from './rbac.js';
import { ARGOCD_CM } from '../../api/index.js';
import { NOTIFICATIONS_CONFIGMAP } from '../../notify/index.js';
import {
  evaluate,
  optionalBlob,
  optionalScalar,
  renderObjects,
  valueMarker,
  type Part,
  type RenderContext,
} from './template.js';
import {
  defaultValues,
  mergeValues,
  VALUE_CHECKS,
  VERSION,
  type InstallValues,
  type RepositoryValues,
} from './values.js';
import {
  API_NAME,
  apiDeployment,
  serverDeployment,
  serverDisruptionBudget,
  serverIngress,
  serverService,
} from './workload.js';

/** The image `mooring install` deploys unless told otherwise: this release's. */
export const DEFAULT_IMAGE = `${defaultValues().image.repository}:${VERSION}`;

/** A partial InstallValues, as a values file or `--set` would give. */
export type ValuesOverride = { [K in keyof InstallValues]?: unknown };

/** Options of the install manifests. */
export interface InstallOptions {
  /** Control-plane namespace (default argocd); the chart's is the release namespace. */
  namespace?: string;
  /** Values over the defaults (the chart's values.yaml). */
  values?: ValuesOverride;
  /** Server image as repository:tag (sets image.repository and image.tag). */
  image?: string;
  /** Shorthand for values.applicationNamespaces. */
  applicationNamespaces?: string[];
  /** Shorthand for values.rbac.manageSecrets. */
  manageSecrets?: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkNamespace(ns: string, what: string): void {
  if (ns.length > 63 || !DNS_LABEL.test(ns)) {
    throw new UserError(
      `invalid ${what} "${ns}": a namespace name (lowercase letters, digits and '-'${/[*?[]/.test(ns) ? '; RBAC is granted per namespace, so list them by name, not by glob' : ''})`,
    );
  }
}

/** `repository:tag` split at the tag's colon (a registry's port is not a tag). */
export function splitImage(image: string): { repository: string; tag: string } {
  const colon = image.lastIndexOf(':');
  if (colon < 0 || image.indexOf('/', colon) >= 0) return { repository: image, tag: '' };
  return { repository: image.slice(0, colon), tag: image.slice(colon + 1) };
}

/** The control-plane namespace as the parts see it. */
const namespaceOf = (ctx: RenderContext) =>
  ctx.symbolic ? valueMarker('namespace') : (ctx.values as InstallValues & { namespace: string }).namespace;

const imageOf = (ctx: RenderContext) => {
  const v = ctx.values as InstallValues;
  return `${v.image.repository}:${ctx.symbolic ? v.image.tag : v.image.tag || VERSION}`;
};

const isNamespaced = { eq: ['rbac.mode', 'namespaced'] as [string, string] };

/** CRDs as chart templates: `helm upgrade` updates them, `helm uninstall` leaves them (and every Application). */
const keptCrd = (crd: KubeObject): KubeObject => ({
  ...crd,
  metadata: {
    ...crd.metadata,
    annotations: { ...crd.metadata.annotations, 'helm.sh/resource-policy': 'keep' },
  },
});

/** Mooring's own objects: Namespace, CRDs, ServiceAccount, RBAC, Deployment, Service, Ingress. */
const MOORING_PARTS: Part[] = [
  {
    file: 'namespace',
    cliOnly: true,
    objects: (ctx) => [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespaceOf(ctx) } }],
  },
  {
    file: 'crds',
    gate: { truthy: 'crds.install' },
    objects: () => [keptCrd(applicationCrd()), keptCrd(appProjectCrd()), keptCrd(applicationSetCrd())],
  },
  {
    file: 'rbac',
    objects: (ctx) => [
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: SERVICE_ACCOUNT, namespace: namespaceOf(ctx) },
      },
    ],
  },
  {
    file: 'rbac',
    gate: { eq: ['rbac.mode', 'cluster'] },
    objects: (ctx) => clusterRbac(ctx, { namespace: namespaceOf(ctx) }),
  },
  {
    file: 'rbac',
    gate: isNamespaced,
    objects: (ctx) => namespacedWorkloadRbac(ctx, { namespace: namespaceOf(ctx) }, namespaceOf(ctx)),
  },
  { file: 'rbac', objects: (ctx) => controlPlaneRbac({ namespace: namespaceOf(ctx) }) },
  {
    file: 'rbac',
    each: 'applicationNamespaces',
    objects: (ctx, appNs) => applicationNamespaceRbac({ namespace: namespaceOf(ctx) }, appNs),
  },
  {
    file: 'rbac',
    gate: isNamespaced,
    each: 'applicationNamespaces',
    objects: (ctx, appNs) => namespacedWorkloadRbac(ctx, { namespace: namespaceOf(ctx) }, appNs),
  },
  { file: 'server', objects: (ctx) => [serverDeployment(ctx, namespaceOf(ctx), imageOf(ctx))] },
  {
    file: 'server',
    gate: { not: { gt: ['api.replicas', 0] } },
    objects: (ctx) => [serverService(ctx, namespaceOf(ctx))],
  },
  {
    file: 'server',
    gate: { gt: ['replicas', 1] },
    objects: (ctx) => [serverDisruptionBudget(namespaceOf(ctx))],
  },
  {
    file: 'server',
    gate: { gt: ['api.replicas', 0] },
    objects: (ctx) => [
      apiDeployment(ctx, namespaceOf(ctx), imageOf(ctx)),
      serverService(ctx, namespaceOf(ctx), API_NAME),
    ],
  },
  {
    file: 'server',
    gate: { gt: ['api.replicas', 1] },
    objects: (ctx) => [serverDisruptionBudget(namespaceOf(ctx), API_NAME)],
  },
  {
    file: 'server',
    gate: { truthy: 'server.ingress.enabled' },
    objects: (ctx) => [serverIngress(ctx, namespaceOf(ctx))],
  },
];

/** Labels every Mooring object carries (Argo CD's own ConfigMaps and Secrets keep Argo CD's). */
export const standardLabels = (ctx: RenderContext): Record<string, string> => ({
  'app.kubernetes.io/part-of': 'mooring',
  'app.kubernetes.io/version': ctx.symbolic ? valueMarker('version') : VERSION,
});

/** The part with the standard labels on each of its objects (theirs win on a clash). */
function labelled(part: Part): Part {
  return {
    ...part,
    objects: (ctx, item) =>
      part.objects(ctx, item).map((o) =>
        // Symbolic parts may hold if/end markers (strings) between objects.
        typeof o === 'string'
          ? o
          : { ...o, metadata: { ...o.metadata, labels: { ...standardLabels(ctx), ...o.metadata.labels } } },
      ),
  };
}

/** A ConfigMap of the control-plane namespace, labelled as Argo CD's own (part-of: argocd). */
const argoConfigMap = (ctx: RenderContext, name: string, data: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: namespaceOf(ctx), labels: { 'app.kubernetes.io/part-of': 'argocd' } },
  ...data,
});

/** Argo CD's own configuration objects, as the values ask for them (they keep Argo CD's labels). */
const ARGO_CD_PARTS: Part[] = [
  {
    file: 'config',
    gate: { truthy: 'notifications.cm' },
    objects: (ctx) => [
      argoConfigMap(ctx, NOTIFICATIONS_CONFIGMAP, optionalBlob(ctx, 'data', 'notifications.cm')),
    ],
  },
  {
    file: 'config',
    gate: { or: [{ truthy: 'sso.url' }, { truthy: 'sso.oidcConfig' }] },
    objects: (ctx) => [
      argoConfigMap(ctx, ARGOCD_CM, {
        data: {
          ...optionalScalar(ctx, 'url', 'sso.url'),
          ...optionalScalar(ctx, 'oidc.config', 'sso.oidcConfig'),
        },
      }),
    ],
  },
  {
    file: 'repositories',
    each: 'repositories',
    objects: (ctx, repo) => [repositorySecret(ctx, repo as unknown)],
  },
];

/**
 * Everything Mooring needs in a cluster, in apply order: Namespace, the three CRDs, ServiceAccount,
 * RBAC, the Deployment of `mooring server` (controller, API, UI), its Service, and what the values ask
 * for. The one definition of both `mooring install` and the Helm chart (scripts/gen-chart.ts).
 */
export const INSTALL_PARTS: Part[] = [...MOORING_PARTS.map(labelled), ...ARGO_CD_PARTS];

/** An Argo CD repository Secret from one element of values.repositories. */
function repositorySecret(ctx: RenderContext, repo: unknown): KubeObject {
  const r = repo as RepositoryValues;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: ctx.symbolic ? valueMarker('$item.name') : r.name,
      namespace: namespaceOf(ctx),
      labels: { 'argocd.argoproj.io/secret-type': 'repository' },
    },
    type: 'Opaque',
    ...(ctx.symbolic
      ? optionalBlob(ctx, 'stringData', '(omit $item "name")')
      : {
          stringData: Object.fromEntries(
            Object.entries(r).filter(([k, v]) => k !== 'name' && v !== undefined && v !== ''),
          ),
        }),
  };
}

/** The install values of these options: defaults, then `values`, then the shorthands. */
export function installValues(opts: InstallOptions = {}): InstallValues & { namespace: string } {
  let v = mergeValues(defaultValues(), opts.values ?? {});
  if (opts.image) v = mergeValues(v, { image: splitImage(opts.image) });
  if (opts.applicationNamespaces) v = mergeValues(v, { applicationNamespaces: opts.applicationNamespaces });
  if (opts.manageSecrets !== undefined) v = mergeValues(v, { rbac: { manageSecrets: opts.manageSecrets } });
  const namespace = opts.namespace ?? 'argocd';
  checkNamespace(namespace, 'namespace');
  const applicationNamespaces = [...new Set(v.applicationNamespaces)].filter((n) => n !== namespace);
  for (const n of applicationNamespaces) checkNamespace(n, 'application namespace');
  for (const r of v.repositories) {
    if (!r.name || !r.url) throw new UserError('each of repositories needs a name and a url');
  }
  const values = { ...v, applicationNamespaces, namespace };
  for (const c of VALUE_CHECKS) if (evaluate(c.gate, values)) throw new UserError(c.message);
  return values;
}

/** Everything Mooring needs in a cluster, in apply order (see INSTALL_PARTS). */
export function installManifests(opts: InstallOptions = {}): KubeObject[] {
  return renderObjects(INSTALL_PARTS, installValues(opts));
}

/** Objects as one multi-document YAML stream (long lines kept whole, as deploy/crds does). */
export function manifestsYaml(objects: KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** Objects as a v1 List, which `kubectl apply -f` takes as JSON. */
export function manifestsJson(objects: KubeObject[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2) + '\n';
}

/** deploy/install.yaml (path relative to the repository root) and its content. */
export function installFile(): { path: string; content: string } {
  return {
    path: 'deploy/install.yaml',
    content:
      '# Generated by scripts/gen-install.ts (`mooring install` with its defaults): do not edit.\n' +
      '# kubectl apply --server-side -f deploy/install.yaml\n' +
      manifestsYaml(installManifests()),
  };
}
