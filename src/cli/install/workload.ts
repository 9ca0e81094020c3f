import type { KubeObject } from '../../core/index.js';
import { SERVICE_ACCOUNT } from './rbac.js';
import {
  joined,
  optionalBlob,
  optionalScalar,
  each,
  valueMarker,
  when,
  type RenderContext,
} from './template.js';
import { CHART_EXPRESSIONS, type InstallValues } from './values.js';

/** Where the controller keeps git mirrors and rendered trees in the pod (an emptyDir). */
export const CACHE_DIR = '/var/cache/mooring';

/** Port of the API, the web UI, /healthz, /readyz, /metrics and /api/webhook. */
export const HTTP_PORT = 8080;

/** UID of the image's non-root user (Dockerfile); numeric so runAsNonRoot can verify it. */
export const RUN_AS_USER = 10001;

/** Name of the Deployment and Service of `mooring server`. */
export const SERVER_NAME = 'mooring-server';

/** Name of the Deployment of `mooring server --api-only` (values api.replicas). */
export const API_NAME = 'mooring-api';

const labelsOf = (name: string) => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/part-of': 'mooring',
});
const LABELS = labelsOf(SERVER_NAME);

/** `mooring server`'s arguments after the image's entrypoint (`mooring`). */
export function serverArgs(ctx: RenderContext, namespace: string): string[] {
  return [
    'server',
    '--namespace',
    namespace,
    ...when(ctx, { truthy: 'applicationNamespaces' }, [
      '--application-namespaces',
      joined(ctx, 'applicationNamespaces'),
    ]),
    // Namespaced RBAC: watch only the namespaces the Roles grant (no cluster-wide list or watch).
    ...when(ctx, { eq: ['rbac.mode', 'namespaced'] }, [
      '--watch-namespaces',
      watchedNamespaces(ctx, namespace),
    ]),
    '--cache-dir',
    CACHE_DIR,
    '--port',
    String(HTTP_PORT),
    // Replicas share the apps through Leases (one replica alone acts on every app); ids are pod names.
    '--shard-by',
    'app',
  ];
}

/** The control-plane namespace, then the application namespaces, comma-separated. */
function watchedNamespaces(ctx: RenderContext, namespace: string): string {
  const ns = CHART_EXPRESSIONS.namespace!;
  if (ctx.symbolic)
    return valueMarker(`(join "," (prepend ${CHART_EXPRESSIONS.applicationNamespaces!} ${ns}))`);
  return [namespace, ...(ctx.values as InstallValues).applicationNamespaces].join(',');
}

/**
 * The Deployment of `mooring server` (the controller, the API and the web UI in one process): replicas
 * sharing the apps through Leases, non-root, read-only root filesystem.
 */
export function serverDeployment(ctx: RenderContext, namespace: string, image: string): KubeObject {
  return deployment(ctx, namespace, image, SERVER_NAME);
}

/**
 * The Deployment of `mooring server --api-only`: the API and web UI scaled apart from the controllers,
 * from the same image; it reconciles nothing and holds no Lease (it reads the controllers' Leases to
 * forward per-app views to each app's owner).
 */
export function apiDeployment(ctx: RenderContext, namespace: string, image: string): KubeObject {
  return deployment(ctx, namespace, image, API_NAME);
}

function deployment(ctx: RenderContext, namespace: string, image: string, name: string): KubeObject {
  const v = ctx.values as InstallValues;
  const apiOnly = name === API_NAME;
  const labels = labelsOf(name);
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: 'http' },
    periodSeconds,
    timeoutSeconds: 5,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: apiOnly ? v.api.replicas : v.replicas,
      // Old and new pods may overlap: the membership Leases keep each app to one of them.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: SERVICE_ACCOUNT,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS_USER,
            runAsGroup: RUN_AS_USER,
            fsGroup: RUN_AS_USER,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'server',
              image,
              imagePullPolicy: v.image.pullPolicy,
              args: [...serverArgs(ctx, namespace), ...(apiOnly ? ['--api-only'] : [])],
              // git, kustomize and helm write only below $HOME and $TMPDIR: both point at the tmp emptyDir.
              env: [
                { name: 'HOME', value: '/tmp' },
                { name: 'TMPDIR', value: '/tmp' },
                // A 1 MiB young generation instead of up to 16 MiB per semi-space: at 1,000 apps the
                // controller holds ~140 instead of ~160-185 MiB, at no measurable CPU (docs/benchmarks.md).
                { name: 'NODE_OPTIONS', value: '--max-semi-space-size=1' },
                // Two malloc arenas instead of up to 8 per core: ~10 MiB less at 1,000 apps (memory freed
                // by other threads' arenas stays there), no CPU we could measure (docs/benchmarks.md).
                { name: 'MALLOC_ARENA_MAX', value: '2' },
                // The replica id of --shard-by (its membership Lease is mooring-controller-<pod name>).
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                // The API URL each replica publishes on its Lease: the others forward per-app views to it.
                { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              ],
              ports: [{ name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' }],
              livenessProbe: { ...probe('/healthz', 20), failureThreshold: 3 },
              // Ready once the first lists of Applications, projects and Secrets are in.
              readinessProbe: probe('/readyz', 5),
              ...optionalBlob(ctx, 'resources', 'resources'),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'cache', mountPath: CACHE_DIR },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          // Mirrors are re-fetched after a restart: nothing here needs to outlive the pod.
          volumes: [
            { name: 'cache', emptyDir: { sizeLimit: '4Gi' } },
            { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
          ],
        },
      },
    },
  };
}

/**
 * With more than one replica: one always stays up (drains, upgrades of nodes), so the apps of a replica
 * being evicted move to a live one instead of waiting for a new pod.
 */
export function serverDisruptionBudget(namespace: string, name = SERVER_NAME): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace, labels: labelsOf(name) },
    spec: { minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': name } } },
  };
}

/**
 * The Service in front of the server: API and UI, git webhooks at /api/webhook, Prometheus at /metrics;
 * its pods are the API-only ones when api.replicas > 0 (`serving`), else the controllers.
 */
export function serverService(ctx: RenderContext, namespace: string, serving = SERVER_NAME): KubeObject {
  const v = ctx.values as InstallValues;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: SERVER_NAME,
      namespace,
      labels: LABELS,
      ...optionalBlob(ctx, 'annotations', 'server.service.annotations'),
    },
    spec: {
      type: v.server.service.type,
      selector: { 'app.kubernetes.io/name': serving },
      ports: [{ name: 'http', port: v.server.service.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** An Ingress to the server's Service: path / of every host listed. */
export function serverIngress(ctx: RenderContext, namespace: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: SERVER_NAME,
      namespace,
      labels: LABELS,
      ...optionalBlob(ctx, 'annotations', 'server.ingress.annotations'),
    },
    spec: {
      ...optionalScalar(ctx, 'ingressClassName', 'server.ingress.className'),
      rules: each(ctx, 'server.ingress.hosts', (host) => [
        {
          host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: SERVER_NAME, port: { name: 'http' } } },
              },
            ],
          },
        },
      ]),
      ...optionalBlob(ctx, 'tls', 'server.ingress.tls'),
    },
  };
}
