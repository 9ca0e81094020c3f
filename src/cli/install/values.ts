import { readFileSync } from 'node:fs';
import { valueMarker, type Check, type Expressions } from './template.js';

/** This release's version (package.json): the image tag and the chart's appVersion. */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** An Argo CD repository Secret's fields (argocd.argoproj.io/secret-type: repository). */
export interface RepositoryValues {
  /** Secret name. */
  name: string;
  url: string;
  type?: string;
  username?: string;
  password?: string;
  sshPrivateKey?: string;
  project?: string;
}

/**
 * The install values: the chart's values.yaml has exactly this shape and these defaults, and
 * `mooring install`'s flags set the same fields.
 */
export interface InstallValues {
  image: { repository: string; tag: string; pullPolicy: string };
  /** Replicas of mooring-server; they share the apps through Leases (--shard-by app). */
  replicas: number;
  /** Replicas of mooring-api (`mooring server --api-only`); 0: the mooring-server pods serve the API. */
  api: { replicas: number };
  resources: Record<string, unknown>;
  server: {
    service: { type: string; port: number; annotations: Record<string, string> };
    ingress: {
      enabled: boolean;
      className: string;
      hosts: string[];
      tls: unknown[];
      annotations: Record<string, string>;
    };
  };
  rbac: { mode: string; manageSecrets: boolean };
  applicationNamespaces: string[];
  notifications: { cm: Record<string, string> };
  sso: { url: string; oidcConfig: string };
  repositories: RepositoryValues[];
  crds: { install: boolean };
}

/** Defaults of every install value. */
export function defaultValues(): InstallValues {
  return {
    image: { repository: 'ghcr.io/mooring/mooring', tag: '', pullPolicy: 'IfNotPresent' },
    replicas: 2,
    api: { replicas: 0 },
    resources: {
      requests: { cpu: '100m', memory: '256Mi' },
      // Rendering (kustomize, helm) and git run as child processes inside this limit.
      limits: { cpu: '1', memory: '1Gi' },
    },
    server: {
      service: { type: 'ClusterIP', port: 8080, annotations: {} },
      ingress: { enabled: false, className: '', hosts: [], tls: [], annotations: {} },
    },
    rbac: { mode: 'cluster', manageSecrets: false },
    applicationNamespaces: [],
    notifications: { cm: {} },
    sso: { url: '', oidcConfig: '' },
    repositories: [],
    crds: { install: true },
  };
}

/** Comments of values.yaml and rows of the chart's values table, by path. */
export const VALUE_DOCS: Record<string, string> = {
  image: 'The mooring image; its entrypoint is `mooring`, the pod passes `server …` as arguments.',
  'image.repository': 'Image repository.',
  'image.tag': "Image tag; empty means the chart's appVersion (`mooring install`: its own version).",
  'image.pullPolicy': 'Image pull policy.',
  replicas:
    "Replicas of mooring-server. They share the Applications through Leases in the release namespace (each app has one owner; a failed replica's apps move within the 15 s lease); more than 1 adds a PodDisruptionBudget (minAvailable 1). Any replica answers the API: per-app views are forwarded to the app's owner.",
  api: 'The API and web UI as a Deployment of their own (mooring-api), scaled apart from the controllers.',
  'api.replicas':
    'Replicas of mooring-api (`mooring server --api-only`, same image: no reconciling, no Lease). Above 0 the Service sends API, UI and webhook traffic to them instead of to mooring-server.',
  resources: 'Resources of the server container; rendering (kustomize, helm) and git run inside them.',
  'server.service': 'The Service of the web UI, the API, /api/webhook and /metrics.',
  'server.service.type': 'Service type (ClusterIP, NodePort, LoadBalancer).',
  'server.service.port': 'Service port (the container listens on 8080).',
  'server.service.annotations': 'Service annotations.',
  'server.ingress': 'An Ingress to the Service: path / of each host.',
  'server.ingress.enabled': 'Create the Ingress.',
  'server.ingress.className': 'ingressClassName (empty: the cluster default).',
  'server.ingress.hosts': 'Host names (at least one when enabled).',
  'server.ingress.tls': 'The Ingress `tls` list as Kubernetes takes it ([{secretName, hosts}]).',
  'server.ingress.annotations': 'Ingress annotations.',
  rbac: "The controller's RBAC (deploy/README.md explains every rule).",
  'rbac.mode':
    'cluster: least-privilege ClusterRoles, Applications deploy anywhere. namespaced: Roles only, in the release namespace and the application namespaces.',
  'rbac.manageSecrets':
    'Let Applications deploy Secrets: grants reading and writing every Secret in reach (cluster-wide in cluster mode).',
  applicationNamespaces: 'More namespaces whose Applications are managed, by name (RBAC has no globs).',
  notifications: 'Notifications.',
  'notifications.cm':
    "argocd-notifications-cm's data (service.*, template.*, trigger.*, subscriptions). Credentials it names as $key live in the Secret argocd-notifications-secret, which you create: the chart never holds them.",
  sso: "Single sign-on settings, written to argocd-cm as Argo CD reads them (Mooring's own OIDC login is not there yet: the chart only writes the configuration).",
  'sso.url': "argocd-cm's `url`: the external URL of Mooring.",
  'sso.oidcConfig':
    "argocd-cm's `oidc.config` (YAML text); its clientSecret as `$oidc.<name>.clientSecret`, a key of argocd-secret.",
  repositories:
    'Argo CD repository Secrets (label argocd.argoproj.io/secret-type: repository) to create: [{name, url, type, username, password, sshPrivateKey, project}]. Credentials in values end up in the release record: prefer Secrets created apart.',
  crds: 'The Application, AppProject and ApplicationSet CRDs.',
  'crds.install':
    'Install them as templates, so `helm upgrade` updates them; they carry helm.sh/resource-policy: keep, so `helm uninstall` leaves them and every Application.',
};

/** Every value path with its default, depth first (maps with content are descended into, except resources). */
export function valueRows(): { path: string; value: unknown }[] {
  const rows: { path: string; value: unknown }[] = [];
  const walk = (v: unknown, path: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length && path !== 'resources') {
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    } else rows.push({ path, value: v });
  };
  walk(defaultValues(), '');
  return rows;
}

/** Paths of values that are not strings (rendered unquoted in the chart). */
export const NUMERIC_PATHS = new Set(['replicas', 'api.replicas', 'server.service.port']);

/**
 * Values as markers, for the chart templates: every scalar a marker of its own path; lists and maps
 * too (they are only used through optionalBlob, each and joined).
 */
export function symbolicValues(): InstallValues {
  const mark = (v: unknown, path: string): unknown => {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length && path !== 'resources')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mark(x, path ? `${path}.${k}` : k)]));
    return valueMarker(path);
  };
  return mark(defaultValues(), '') as InstallValues;
}

/** Value paths whose Helm expression is more than `$.Values.<path>`. */
export const CHART_EXPRESSIONS: Expressions = {
  'image.tag': '(default $.Chart.AppVersion $.Values.image.tag)',
  namespace: '$.Release.Namespace',
  version: '$.Chart.AppVersion',
  // As `mooring install`: each name once, never the control-plane namespace itself.
  applicationNamespaces: '(without (uniq $.Values.applicationNamespaces) $.Release.Namespace)',
};

/** Refusals of values, shared by `mooring install` and the chart (`fail`). */
export const VALUE_CHECKS: Check[] = [
  {
    gate: { not: { gt: ['replicas', 0] } },
    message: 'replicas must be at least 1',
  },
  {
    gate: { not: { gt: ['api.replicas', -1] } },
    message: 'api.replicas must be 0 or more',
  },
  {
    gate: { not: { oneOf: ['rbac.mode', ['cluster', 'namespaced']] } },
    message: 'rbac.mode must be "cluster" or "namespaced"',
  },
  {
    gate: {
      not: { or: [{ not: { truthy: 'server.ingress.enabled' } }, { truthy: 'server.ingress.hosts' }] },
    },
    message: 'server.ingress.hosts must list at least one host when server.ingress.enabled is true',
  },
];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return Boolean(v) && typeof v === 'object' && !Array.isArray(v);
}

/** Defaults overlaid with the given values, as Helm merges values (maps merged, the rest replaced). */
export function mergeValues<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeValues(out[k], v) : v;
  return out as T;
}
