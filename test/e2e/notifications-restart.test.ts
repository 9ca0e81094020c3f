import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/controller/index.js';
import type { Application } from '../../src/core/index.js';
import { kubectl, uniqueName, waitFor } from '../harness/cluster.js';
import { cloneRepo, createRepo, type WorkingCopy } from '../harness/git-repo.js';
import { getApp, repoSecret, startTestController, suiteGitServer, waitForApp } from '../harness/suite.js';
import { startHttpReceiver, type HttpReceiver, type ReceivedRequest } from '../harness/receivers.js';

const PENDING = 'notifications.mooring.dev/pending';

interface Sent {
  app: { name: string };
  trigger: string;
  message: string;
}
const parse = (r: ReceivedRequest) => JSON.parse(r.body) as Sent;

// The notified state and the not-yet-delivered notifications live on the Application, so a
// controller that stops (here: while waiting to retry a failed delivery) and a new one that starts
// later neither repeat what was sent nor lose what was due, including what happened in between.
describe('notifications across a controller restart', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-notify-restart');
  const target = `${ns}-app`;
  const first = uniqueName('kept');
  const second = uniqueName('created-while-down');
  let http: HttpReceiver;
  let dir: string;
  let work: WorkingCopy;
  let repoURL: string;
  let controller: Controller;
  let stop: (() => Promise<void>) | undefined;

  const sent = (app: string, trigger: string, status = 200) =>
    http.requests.filter(
      (r) => r.status === status && parse(r).app.name === app && parse(r).trigger === trigger,
    );
  const application = (name: string, triggers: string[], namespace: string) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name,
      namespace: ns,
      annotations: Object.fromEntries(
        triggers.map((t) => [`notifications.argoproj.io/subscribe.${t}.hook`, '']),
      ),
    },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path: '.' },
      destination: { server: 'https://kubernetes.default.svc', namespace },
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    },
  });
  const start = async () => {
    ({ controller, stop } = await startTestController({ namespace: ns, pollIntervalMs: 3_600_000 }));
  };
  const synced = (rev?: string) => (a: Application) =>
    (rev === undefined || a.status?.sync?.revision === rev) &&
    a.status?.sync?.status === 'Synced' &&
    (a.status?.operationState as { phase?: string } | undefined)?.phase === 'Succeeded';

  beforeAll(async () => {
    http = await startHttpReceiver();
    await kubectl(['create', 'namespace', ns]);
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-notifications-cm', namespace: ns },
        // A long wait before retrying: the controller is stopped while it waits.
        data: {
          'service.webhook.hook': `url: ${http.url}/hook\nretryMax: 3\nretryWaitMin: 60s\nretryWaitMax: 60s`,
        },
      }),
    });
    dir = await mkdtemp(join(tmpdir(), 'mooring-notify-restart-'));
    await writeFile(
      join(dir, 'settings.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n',
    );
    const repo = uniqueName('notify-restart');
    await createRepo(git, repo, dir);
    work = await cloneRepo(git, repo);
    repoURL = git.repoUrl(repo);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, repoURL)) });
    await start();
  });

  afterAll(async () => {
    await stop?.();
    await http?.stop();
    await kubectl([
      'delete',
      'namespace',
      ns,
      target,
      `${target}-b`,
      '--wait=false',
      '--ignore-not-found',
    ]).catch(() => {});
    await work?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('neither repeats nor loses a notification when the controller stops and a new one starts', async () => {
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(application(first, ['on-created', 'on-sync-succeeded'], target)),
    });
    const v1 = await waitForApp(ns, first, 'the first sync', synced());
    await waitFor(
      'the first notifications',
      async () => sent(first, 'on-created').length > 0 && sent(first, 'on-sync-succeeded').length > 0,
    );

    // A new commit is synced, but the receiver fails: the notification waits for its retry…
    http.respond = () => ({ status: 503 });
    await work.writeFile(
      'settings.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: green\n',
    );
    const v2 = await work.commit('green');
    await work.push();
    await kubectl([
      'annotate',
      'application',
      first,
      '-n',
      ns,
      'argocd.argoproj.io/refresh=normal',
      '--overwrite',
    ]);
    await waitForApp(ns, first, 'the second sync', synced(v2));
    await waitFor('the failed attempt', async () => sent(first, 'on-sync-succeeded', 503).length > 0);
    // …when the controller stops. What was due stays on the Application.
    await stop!();
    stop = undefined;
    const pending = JSON.parse((await getApp(ns, first)).metadata.annotations?.[PENDING] ?? '[]') as Sent[];
    expect(pending.map((p) => p.trigger)).toEqual(['on-sync-succeeded']);

    // While no controller runs, a new Application is created and the receiver recovers.
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(application(second, ['on-created'], `${target}-b`)),
    });
    http.respond = () => ({ status: 200 });
    await start();

    await waitFor(
      'the pending and the missed notifications',
      async () => sent(first, 'on-sync-succeeded').length > 1 && sent(second, 'on-created').length > 0,
    );
    await waitForApp(ns, second, 'the new app synced', synced());
    await controller.idle();
    await controller.notifications!.idle();

    // Each notification reached the receiver once; the retried one under the same delivery id.
    expect(sent(first, 'on-created')).toHaveLength(1);
    expect(sent(second, 'on-created')).toHaveLength(1);
    const syncs = sent(first, 'on-sync-succeeded').map((r) => parse(r).message);
    expect(syncs).toEqual([
      `Application ${first} synced revision ${v1.status?.sync?.revision}.`,
      `Application ${first} synced revision ${v2}.`,
    ]);
    const retried = http.requests.filter((r) => parse(r).message.endsWith(`${v2}.`));
    expect(new Set(retried.map((r) => r.headers['x-mooring-delivery'])).size).toBe(1);
    expect((await getApp(ns, first)).metadata.annotations?.[PENDING]).toBeUndefined();
    expect(
      (await getApp(ns, first)).metadata.annotations?.['notified.notifications.argoproj.io'],
    ).toBeDefined();
  });
});
