// The identical work every engine gets: one fresh monorepo per engine and round with N app folders,
// `apps/<engine>-app-NNNN/`, each a kustomization.yaml over a Namespace, Deployment, ServiceAccount,
// Service and ConfigMap in the app's own namespace. Every Deployment runs 0 replicas (the cold start
// measures the engines, not how fast kube-controller-manager and kwok make 1,000 pods) except the
// probe app's, which runs PROBE_REPLICAS: the push and drift measures watch it roll out.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppSpec } from './engine.js';

/** The image every app runs; the push measure changes its tag in the probe app's kustomization. */
export const IMAGE = 'registry.example.com/peers/web';
/** The tag every app starts with. */
export const FIRST_TAG = 'v1.0.0';
/** Replicas of the probe app's Deployment (kubectl scale takes it to one fewer). */
export const PROBE_REPLICAS = 2;

/** Name (and namespace) of app i of an engine, e.g. `mo-app-0007`. */
export function appName(engineId: string, i: number): string {
  return `${engineId}-app-${String(i).padStart(4, '0')}`;
}

/** The folder of an app in the monorepo. */
export const appPath = (name: string) => `apps/${name}`;

/** The N apps of an engine in one repository. */
export function appSpecs(engineId: string, n: number, repoURL: string, branch = 'main'): AppSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const name = appName(engineId, i);
    return { name, repoURL, path: appPath(name), branch, namespace: name };
  });
}

/** Which apps the measures touch: the probe (push, drift) and the app changed by the monorepo commit. */
export function roles(apps: AppSpec[]): { probe: AppSpec; changed: AppSpec } {
  const probe = apps[0]!;
  // Another app than the probe, in the middle, so no engine is helped by an order of its own.
  const changed = apps[Math.floor(apps.length / 2)] ?? probe;
  return { probe, changed };
}

/** kustomization.yaml of an app, with the image tag it runs. */
export function kustomization(tag: string): string {
  return [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    '  - namespace.yaml',
    '  - serviceaccount.yaml',
    '  - configmap.yaml',
    '  - service.yaml',
    '  - deployment.yaml',
    'images:',
    '  - name: web',
    `    newName: ${IMAGE}`,
    `    newTag: ${tag}`,
    '',
  ].join('\n');
}

/** configmap.yaml of an app, with a revision the monorepo commit changes. */
export function configMap(app: AppSpec, revision: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web-config', namespace: app.namespace },
    data: { app: app.name, revision: String(revision) },
  });
}

/** The files of an app folder, by file name. */
export function appFiles(app: AppSpec, replicas: number): Record<string, string> {
  const ns = app.namespace;
  const labels = { app: 'web' };
  const obj = (o: unknown) => `${JSON.stringify(o)}\n`;
  return {
    'kustomization.yaml': kustomization(FIRST_TAG),
    'namespace.yaml': obj({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }),
    'serviceaccount.yaml': obj({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'web', namespace: ns },
    }),
    'configmap.yaml': `${configMap(app, 1)}\n`,
    'service.yaml': obj({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    }),
    'deployment.yaml': obj({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { serviceAccountName: 'web', containers: [{ name: 'web', image: 'web' }] },
        },
      },
    }),
  };
}

/** Writes the monorepo's working tree for these apps into dir (the probe gets PROBE_REPLICAS). */
export async function writeMonorepo(dir: string, apps: AppSpec[], replicas = 0): Promise<void> {
  const { probe } = roles(apps);
  for (const app of apps) {
    const folder = join(dir, app.path);
    await mkdir(folder, { recursive: true });
    const files = appFiles(app, app === probe ? PROBE_REPLICAS : replicas);
    for (const [file, text] of Object.entries(files)) await writeFile(join(folder, file), text);
  }
  await writeFile(
    join(dir, 'README.md'),
    `Benchmark monorepo: ${apps.length} apps, one folder each under apps/ (bench/peers/workload.ts).\n`,
  );
}

/** The Deployment of an app, as an API path. */
export const deploymentPath = (app: AppSpec) => `/apis/apps/v1/namespaces/${app.namespace}/deployments/web`;
/** The ConfigMap of an app, as an API path. */
export const configMapPath = (app: AppSpec) => `/api/v1/namespaces/${app.namespace}/configmaps/web-config`;

interface DeploymentLike {
  metadata: { generation?: number };
  spec?: { replicas?: number; template?: { spec?: { containers?: { image?: string }[] } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

/** The image of a Deployment's first container. */
export const imageOf = (d: unknown) => (d as DeploymentLike).spec?.template?.spec?.containers?.[0]?.image;

/**
 * The rollout is over: the Deployment controller saw the latest spec, `replicas` replicas exist, all
 * updated and available, and (when given) on that image.
 */
export function rolledOut(obj: unknown, replicas: number, image?: string): boolean {
  const d = obj as DeploymentLike;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
    d.spec?.replicas === replicas &&
    (s.replicas ?? 0) === replicas &&
    (s.updatedReplicas ?? 0) === replicas &&
    (s.availableReplicas ?? 0) === replicas &&
    (image === undefined || imageOf(d) === image)
  );
}
