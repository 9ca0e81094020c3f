import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../../src/core/index.js';
import { kubectl, uniqueName } from '../../harness/cluster.js';
import { deployApp, startTestController, waitForApp } from '../../harness/suite.js';

// Conformance: resource health of custom resources and the app's health, as Argo CD documents them, on
// the real cluster. The CRDs are minimal stand-ins for cert-manager's and KEDA's (same group, kind and
// status subresource); the test writes the status their controllers would, and reads the app's health.

/** A namespaced CRD whose spec and status take any fields, with a status subresource. */
function crd(group: string, kind: string, plural: string, version: string): string {
  return JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  });
}

const CERTIFICATE = `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: web-tls
spec:
  secretName: web-tls
  dnsNames: [shop.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
`;
const SCALED_OBJECT = `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: worker
spec:
  scaleTargetRef: {name: worker}
  triggers: [{type: cpu, metadata: {value: "60"}}]
`;

type Resource = NonNullable<NonNullable<Application['status']>['resources']>[number];
const resource = (app: Application, kind: string): Resource | undefined =>
  app.status?.resources?.find((r) => r.kind === kind);
const healthOf = (app: Application) => app.status?.health?.status;

describe('conformance: health', () => {
  const ns = uniqueName('mooring-health');
  // App names unique to this run: the tracking id names only the app, and each test file runs its own
  // controller on the shared cluster, so an app of the same name in another file would take this one's
  // objects for its own (prune, self-heal).
  const run = uniqueName('run').slice(4);
  const appName = (name: string) => `${name}-${run}`;
  const crds = [
    crd('cert-manager.io', 'Certificate', 'certificates', 'v1'),
    crd('keda.sh', 'ScaledObject', 'scaledobjects', 'v1alpha1'),
  ];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    for (const c of crds) await kubectl(['apply', '-f', '-'], { input: c });
    await kubectl([
      'wait',
      '--for=condition=Established',
      'crd/certificates.cert-manager.io',
      'crd/scaledobjects.keda.sh',
      '--timeout=60s',
    ]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 1_000, jitter: 0 }));
  });
  afterAll(async () => {
    await stop?.();
    await kubectl([
      'delete',
      'namespace',
      ns,
      `${ns}-crs`,
      `${ns}-none`,
      '--wait=false',
      '--ignore-not-found',
    ]).catch(() => {});
    await kubectl([
      'delete',
      'crd',
      'certificates.cert-manager.io',
      'scaledobjects.keda.sh',
      '--ignore-not-found',
      '--wait=false',
    ]).catch(() => {});
  });

  // "Applications now show `Missing` health **only when ALL resources are missing** (e.g., before the
  // first sync)" (Argo CD upgrading guide, v3.3 to 3.4).
  it('an app with nothing of it deployed is Missing, not Healthy', async () => {
    await deployApp({
      namespace: ns,
      name: appName('not-synced'),
      destination: `${ns}-none`,
      from: {
        'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: registry.example.com/web:1}]}
`,
        'config.yaml': `apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {mode: production}
`,
      },
    });
    const app = await waitForApp(
      ns,
      appName('not-synced'),
      'compared',
      (a) => a.status?.sync?.status === 'OutOfSync',
    );
    expect(healthOf(app)).toBe('Missing');
    expect(resource(app, 'Deployment')?.health?.status).toBe('Missing');
  });

  // "Argo CD provides built-in health assessment for several standard Kubernetes types, which is then
  // surfaced to the overall Application health status as a whole." and "A health check can be bundled
  // into Argo CD." (Resource Health): Argo CD bundles cert-manager's and KEDA's; so does Mooring.
  // "The App health will be the worst health of its immediate child sources. The priority of most to
  // least healthy statuses is: `Healthy`, `Suspended`, `Progressing`, `Missing`, `Degraded`, `Unknown`."
  it("follows the custom resources' status: Progressing, Healthy, Degraded, Suspended", async () => {
    const dest = `${ns}-crs`;
    await deployApp({
      namespace: ns,
      name: appName('crs'),
      destination: dest,
      from: { 'certificate.yaml': CERTIFICATE, 'scaled-object.yaml': SCALED_OBJECT },
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    const patchStatus = (kind: string, name: string, status: unknown) =>
      kubectl([
        'patch',
        kind,
        name,
        '-n',
        dest,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status }),
      ]);

    // Created, but no controller has reported on them yet.
    let app = await waitForApp(
      ns,
      appName('crs'),
      'synced and progressing',
      (a) => a.status?.sync?.status === 'Synced' && healthOf(a) === 'Progressing',
    );
    expect(resource(app, 'Certificate')?.health).toEqual({
      status: 'Progressing',
      message: 'Waiting for certificate',
    });
    expect(resource(app, 'ScaledObject')?.health).toEqual({
      status: 'Progressing',
      message: 'Waiting for KEDA to set up autoscaling',
    });

    await patchStatus('certificate', 'web-tls', {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: 'Certificate is up to date and has not expired',
        },
      ],
    });
    await patchStatus('scaledobject', 'worker', {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'ScaledObjectReady',
          message: 'ScaledObject is ready for scaling',
        },
      ],
    });
    app = await waitForApp(ns, appName('crs'), 'healthy', (a) => healthOf(a) === 'Healthy');
    expect(resource(app, 'Certificate')?.health).toEqual({
      status: 'Healthy',
      message: 'Certificate is up to date and has not expired',
    });

    await patchStatus('certificate', 'web-tls', {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'DoesNotExist',
          message: 'Issuing certificate as Secret does not exist',
        },
        {
          type: 'Issuing',
          status: 'False',
          reason: 'Failed',
          message: 'The certificate request has failed to complete',
        },
      ],
    });
    app = await waitForApp(ns, appName('crs'), 'degraded', (a) => healthOf(a) === 'Degraded');
    expect(resource(app, 'Certificate')?.health).toEqual({
      status: 'Degraded',
      message: 'The certificate request has failed to complete',
    });
    // The app's health carries a status only; the reason stays on the resource, as in Argo CD.
    expect(app.status?.health?.message).toBeUndefined();

    // "`Suspended` - the resource is suspended and waiting for some external event to resume" (Resource
    // Health): a paused ScaledObject, with nothing worse beside it, makes the app Suspended.
    await patchStatus('certificate', 'web-tls', {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Ready',
          message: 'Certificate is up to date and has not expired',
        },
      ],
    });
    await patchStatus('scaledobject', 'worker', {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'ScaledObjectReady',
          message: 'ScaledObject is ready for scaling',
        },
        { type: 'Paused', status: 'True', reason: 'ScaledObjectPaused', message: 'ScaledObject is paused' },
      ],
    });
    app = await waitForApp(ns, appName('crs'), 'suspended', (a) => healthOf(a) === 'Suspended');
    expect(resource(app, 'ScaledObject')?.health).toEqual({
      status: 'Suspended',
      message: 'ScaledObject is paused',
    });
    expect(app.status?.sync?.status).toBe('Synced');
  });
});
