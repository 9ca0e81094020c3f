import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, uniqueName } from '../../harness/cluster.js';
import { deleteRepo } from '../../harness/git-repo.js';
import { getApp, suiteGitServer, waitForApp } from '../../harness/suite.js';
import {
  WEB,
  aliasBomb,
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

// Issue 12, point 3: an alias bomb in a kustomization, a resource or a patch, and a chart that spins,
// each stopped at the render's memory or CPU cap with a condition that names the cap (never "exit
// code null"); nothing applied; the controller (a separate process, measured from outside as a kubelet
// would) stays under 600 MiB and answers /healthz within 1 s; another app's drift is healed meanwhile.
describe('render resource caps', () => {
  const ns = uniqueName('mooring-caps');
  const repos = { steady: uniqueName('steady'), hostile: uniqueName('hostile') };
  // The app name is unique to this run too: the tracking id names only the app, and each test file runs its
  // own controller on the shared cluster, so a `steady` app in another file would prune and self-heal this one's.
  const steady = uniqueName('steady');
  const hostileApps = ['kustomization-bomb', 'resource-bomb', 'patch-bomb', 'helm-spin'];
  const ownName = uniqueName('own');
  let ctl: ControllerChild | undefined;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    // Smaller caps than the defaults (512 MiB, 60 s) keep the test light on a shared machine and show
    // the flags reach every tool run.
    ctl = await startControllerChild(ns, ['--render-memory-limit', '256Mi', '--render-cpu-limit', '2s']);
  });

  afterAll(async () => {
    await ctl?.probe.stop();
    await ctl?.stop();
    await kubectl([
      'delete',
      'namespace',
      ns,
      ...[steady, ...hostileApps].map((a) => `${ns}-${a}`),
      '--wait=false',
      '--ignore-not-found',
    ]).catch(() => {});
    for (const repo of Object.values(repos)) await deleteRepo(suiteGitServer(), repo).catch(() => {});
  });

  it('stops each hostile render at its cap with a clear condition while the controller stays small and responsive', async () => {
    const own = configMap(ownName, '  from: this-repo\n');
    const bomb = `${configMap(ownName)}data:\n${aliasBomb()}`;
    const steadyURL = await pushRepo(repos.steady, { 'web.yaml': WEB });
    const hostileURL = await pushRepo(repos.hostile, {
      'kustomization-bomb/kustomization.yaml': `resources:\n  - own.yaml\ncommonAnnotations:\n${aliasBomb()}`,
      'kustomization-bomb/own.yaml': own,
      'resource-bomb/kustomization.yaml': 'resources:\n  - own.yaml\n  - bomb.yaml\n',
      'resource-bomb/own.yaml': own,
      'resource-bomb/bomb.yaml': bomb.replace(`name: ${ownName}`, 'name: bomb'),
      'patch-bomb/kustomization.yaml': 'resources:\n  - own.yaml\npatches:\n  - path: patch.yaml\n',
      'patch-bomb/own.yaml': own,
      'patch-bomb/patch.yaml': bomb,
      // Four hundred million empty iterations: little memory, minutes of CPU.
      'helm-spin/Chart.yaml': 'apiVersion: v2\nname: spin\nversion: 0.1.0\n',
      'helm-spin/templates/cm.yaml': `{{- range until 20000 }}{{- range until 20000 }}{{- end }}{{- end }}\n${own}`,
    });
    await applyApps(
      ns,
      [steadyURL, hostileURL],
      [
        application(ns, steady, steadyURL, '.'),
        ...hostileApps.map((name) => application(ns, name, hostileURL, name)),
      ],
    );

    // The well-behaved app syncs, and its drift is healed while the hostile ones render and fail.
    await driftHealed(ns, steady);

    const expected: Record<string, string> = {
      'kustomization-bomb':
        'kustomization-bomb/kustomization.yaml: invalid YAML: Excessive alias count indicates a resource exhaustion attack',
      'resource-bomb': 'kustomize used more than 256 MiB of memory',
      'patch-bomb': 'kustomize used more than 256 MiB of memory',
      'helm-spin': 'helm used more than 2 s of CPU',
    };
    for (const name of hostileApps) {
      const app = await waitForApp(ns, name, 'a ComparisonError', (a) => !!comparisonError(a), 90_000);
      expect([name, comparisonError(app)]).toEqual([name, expected[name]]);
      expect([name, app.status?.sync?.status]).toEqual([name, 'Unknown']);
    }

    // Nothing of a refused app was applied.
    for (const name of hostileApps)
      expect([name, await namespaceExists(`${ns}-${name}`)]).toEqual([name, false]);
    expect(await configMapsNamed(ownName)).toEqual([]);

    // A few more passes of the hostile renders, then the controller's own figures, seen from outside.
    await new Promise((r) => setTimeout(r, 6000));
    for (const name of hostileApps) expect(comparisonError(await getApp(ns, name))).toBe(expected[name]);
    await waitForApp(ns, steady, 'steady Synced', (a) => a.status?.sync?.status === 'Synced', 30_000);
    const seen = await ctl!.probe.stop();
    console.info(
      `controller peak RSS ${seen.peakRssMiB} MiB, slowest /healthz ${seen.slowestHealthzMs} ms, ${seen.samples.length} samples`,
    );
    expect(seen.samples.length).toBeGreaterThan(10);
    expect(seen.peakRssMiB).toBeLessThan(600);
    expect(seen.failedHealthz).toBe(0);
    expect(seen.slowestHealthzMs).toBeLessThan(1000);
  });
});
