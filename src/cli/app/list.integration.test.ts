import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, kubectl } from '../../../test/harness/cluster.js';
import { CliError } from '../cli-error.js';
import { openAppBackend } from '../server/select.js';
import { listApps, listPlain } from './list.js';
import { plainCluster } from './plain-kubeconfig.js';

const CRD = resolve(import.meta.dirname, '../../../deploy/crds/application-crd.yaml');

// app list's one GET through a plain kubeconfig, on the real apiserver: the same Applications as the
// full backend (the Kubernetes client library), and the full backend's errors when the GET is refused.
describe('listApps', () => {
  let ns: { name: string; cleanup: () => Promise<void> };
  let dir: string;

  beforeAll(async () => {
    // The CRD, as `mooring install` and the controller put it in place: this test runs no controller.
    await kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=mooring-install',
      '-f',
      CRD,
    ]);
    await kubectl(['wait', '--for=condition=Established', 'crd/applications.argoproj.io', '--timeout=60s']);
    ns = await createTestNamespace('cli-list');
    const app = (name: string) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name, namespace: ns.name, labels: { team: 'a' } },
      spec: {
        project: 'default',
        source: { repoURL: 'https://git.example.com/apps.git', path: name, targetRevision: 'main' },
        destination: { server: 'https://kubernetes.default.svc', namespace: name },
      },
    });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [app('web'), app('api')] }),
    });
    dir = await mkdtemp(join(tmpdir(), 'cli-list-'));
  }, 60_000);

  afterAll(async () => {
    await ns?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("lists through the suite's kubeconfig with one GET, as the client library lists", async () => {
    const values = { kubeconfig: inject('kubeconfig'), 'app-namespace': ns.name };
    const quick = await listPlain(values);
    expect(quick).toBeDefined(); // the one GET answered: the library was not needed
    const full = await (await openAppBackend(values)).list();
    expect(quick!.map((a) => a.metadata.name).sort()).toEqual(['api', 'web']);
    expect(quick).toEqual(full);
    expect(await listApps(values)).toEqual(full);
    expect(quick![0]).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' });
  });

  it('a refused GET (a token the apiserver does not know) gives the full backend’s one line, exit 4', async () => {
    // The suite's kubeconfig with its user swapped for a bearer token: still plain, but refused (401).
    const config = parse(await readFile(inject('kubeconfig'), 'utf8')) as {
      users: { name: string; user: Record<string, unknown> }[];
      clusters: { cluster: Record<string, unknown> }[];
    };
    for (const u of config.users) u.user = { token: 'not-a-valid-token' };
    for (const c of config.clusters) {
      const ca = c.cluster['certificate-authority'];
      if (typeof ca === 'string')
        c.cluster['certificate-authority'] = resolve(dirname(inject('kubeconfig')), ca);
    }
    const file = join(dir, 'bad-token');
    await writeFile(file, stringify(config));
    expect(plainCluster({ kubeconfig: file })?.token).toBe('not-a-valid-token');
    expect(await listPlain({ kubeconfig: file, 'app-namespace': ns.name })).toBeUndefined();
    const err = await listApps({ kubeconfig: file, 'app-namespace': ns.name }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(4);
    expect((err as CliError).message).toMatch(/^the cluster refused the request/);
    expect((err as CliError).message).not.toContain('not-a-valid-token');
  });
});
