import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, uniqueName } from '../../harness/cluster.js';
import { deleteRepo } from '../../harness/git-repo.js';
import { getApp, suiteGitServer, waitForApp } from '../../harness/suite.js';
import {
  WEB,
  application,
  applyApps,
  comparisonError,
  configMap,
  configMapsNamed,
  driftHealed,
  namespaceExists,
  pushRepo,
  startControllerChild,
  type ControllerChild,
} from './render-kit.js';

// Issue 12, point 2: a commit (or an Application) that points kustomize or Helm outside the repository
// — at another tenant's files on the controller's disk, or at a remote over SSH or HTTPS — is refused
// before any tool runs, with a condition naming the file and field; nothing is applied; and another
// app of the same controller has its drift healed meanwhile.
describe('render confinement', () => {
  const ns = uniqueName('mooring-escape');
  const stolen = uniqueName('stolen');
  const ownName = uniqueName('own');
  const repos = { steady: uniqueName('steady'), hostile: uniqueName('hostile') };
  // The app name is unique to this run too: the tracking id names only the app, and each test file runs its
  // own controller on the shared cluster, so a `steady` app in another file would prune and self-heal this one's.
  const steady = uniqueName('steady');
  const hostileApps = ['components', 'base', 'scp', 'https', 'helm'];
  let outside: string;
  let ctl: ControllerChild | undefined;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    // Another tenant's files on the controller's disk: what each escape would deploy.
    outside = await mkdtemp(join(tmpdir(), 'mooring-other-tenant-'));
    await mkdir(join(outside, 'component'));
    await mkdir(join(outside, 'base'));
    const component =
      'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - stolen.yaml\n';
    await writeFile(join(outside, 'component/kustomization.yaml'), component);
    await writeFile(join(outside, 'base/kustomization.yaml'), 'resources:\n  - stolen.yaml\n');
    for (const dir of ['component', 'base'])
      await writeFile(join(outside, dir, 'stolen.yaml'), configMap(stolen, '  password: hunter2\n'));
    await writeFile(join(outside, 'values.yaml'), `name: ${stolen}\n`);
    ctl = await startControllerChild(ns);
  });

  afterAll(async () => {
    await ctl?.probe.stop();
    await ctl?.stop();
    await kubectl(
      ['delete', 'namespace', ns, ...[steady, ...hostileApps].map((a) => `${ns}-${a}`)].concat([
        '--wait=false',
        '--ignore-not-found',
      ]),
    ).catch(() => {});
    for (const repo of Object.values(repos)) await deleteRepo(suiteGitServer(), repo).catch(() => {});
    await rm(outside, { recursive: true, force: true });
  });

  it('refuses every path out of the repository and every remote base, applies nothing, and heals another app meanwhile', async () => {
    // From any directory of the controller's checkout, this many ".." reach "/", then the other tenant.
    const up = '../'.repeat(32) + outside.slice(1);
    const own = configMap(ownName, '  from: this-repo\n');
    const steadyURL = await pushRepo(repos.steady, { 'web.yaml': WEB });
    const hostileURL = await pushRepo(repos.hostile, {
      'components/kustomization.yaml': 'resources:\n  - own.yaml\n',
      'components/own.yaml': own,
      'base/kustomization.yaml': `resources:\n  - own.yaml\n  - ${up}/base\n`,
      'base/own.yaml': own,
      'scp/kustomization.yaml': 'resources:\n  - own.yaml\n  - deploy@git.example.com:platform/base.git\n',
      'scp/own.yaml': own,
      'https/kustomization.yaml':
        'resources:\n  - own.yaml\n  - https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0\n',
      'https/own.yaml': own,
      'helm/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\n',
      'helm/values.yaml': `name: ${ownName}\n`,
      'helm/templates/cm.yaml': configMap('{{ .Values.name }}', '  from: chart\n'),
    });
    await applyApps(
      ns,
      [steadyURL, hostileURL],
      [
        application(ns, steady, steadyURL, '.'),
        // The Application itself asks for a component elsewhere on the controller's disk.
        application(ns, 'components', hostileURL, 'components', {
          kustomize: { components: [`${up}/component`] },
        }),
        application(ns, 'base', hostileURL, 'base'),
        application(ns, 'scp', hostileURL, 'scp'),
        application(ns, 'https', hostileURL, 'https'),
        application(ns, 'helm', hostileURL, 'helm', { helm: { valueFiles: [`${up}/values.yaml`] } }),
      ],
    );

    // The well-behaved app syncs, and its drift is healed while the hostile ones are reconciled.
    await driftHealed(ns, steady);

    const expected: Record<string, string> = {
      components: `spec.source.kustomize.components entry "${up}/component" leads outside the repository`,
      base: `base/kustomization.yaml: resources entry "${up}/base" leads outside the repository`,
      scp: 'scp/kustomization.yaml: resources entry "deploy@git.example.com:platform/base.git" is remote; Mooring renders only what is in the repository',
      https:
        'https/kustomization.yaml: resources entry "https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.0.0" is remote; Mooring renders only what is in the repository',
      helm: `helm value file "${up}/values.yaml" leads outside the repository`,
    };
    for (const name of hostileApps) {
      const app = await waitForApp(ns, name, 'a ComparisonError', (a) => !!comparisonError(a), 60_000);
      expect([name, comparisonError(app)]).toEqual([name, expected[name]]);
      expect([name, app.status?.sync?.status]).toEqual([name, 'Unknown']);
      expect([name, app.status?.operationState?.phase]).toEqual([name, undefined]);
    }

    // Nothing of a refused app was applied: neither its own objects nor the other tenant's.
    for (const name of hostileApps)
      expect([name, await namespaceExists(`${ns}-${name}`)]).toEqual([name, false]);
    expect(await configMapsNamed(stolen)).toEqual([]);
    expect(await configMapsNamed(ownName)).toEqual([]);

    // Still refused on later passes, and still nothing applied; the steady app stays Synced.
    await new Promise((r) => setTimeout(r, 4000));
    for (const name of hostileApps) expect(comparisonError(await getApp(ns, name))).toBe(expected[name]);
    expect(await configMapsNamed(stolen)).toEqual([]);
    await waitForApp(ns, steady, 'steady Synced', (a) => a.status?.sync?.status === 'Synced', 30_000);
    const seen = await ctl!.probe.stop();
    console.info(
      `controller peak RSS ${seen.peakRssMiB} MiB, slowest /healthz ${seen.slowestHealthzMs} ms, ${seen.samples.length} samples`,
    );
    expect(seen.peakRssMiB).toBeLessThan(600);
    expect(seen.failedHealthz).toBe(0);
    expect(seen.slowestHealthzMs).toBeLessThan(1000);
  });
});
