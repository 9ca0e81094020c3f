import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application, ApplicationSet } from '../../../src/core/index.js';
import { VIEW_ANNOTATION, ownerOf } from '../../../src/controller/sharding/index.js';
import { NOTIFIED_ANNOTATION, PENDING_ANNOTATION } from '../../../src/notify/index.js';
import { kubectl, uniqueName, waitFor } from '../../harness/cluster.js';
import { cloneRepo, createRepo } from '../../harness/git-repo.js';
import { startHttpReceiver, type HttpReceiver } from '../../harness/receivers.js';
import { getApp, repoSecret, suiteGitServer, waitForApp } from '../../harness/suite.js';
import { kill, shardApps, startReplica, type Replica } from './replicas.js';

const IDS = ['r0', 'r1'];
const ELEMENTS = ['a', 'b', 'c'];
const NOTIFIED = 'notified';
const SET = 'fleet';

function configMap(name: string, version: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name} }
data: { version: "${version}" }
`;
}

function files(version: string): Record<string, string> {
  const out: Record<string, string> = { [`apps/${NOTIFIED}/cm.yaml`]: configMap(NOTIFIED, version) };
  for (const e of [...ELEMENTS, 'd']) out[`apps/${e}/cm.yaml`] = configMap(`${SET}-${e}`, version);
  return out;
}

const synced = (a: Application) =>
  a.status?.sync?.status === 'Synced' &&
  a.status?.health?.status === 'Healthy' &&
  a.status?.operationState?.phase === 'Succeeded';

// Two `mooring controller --shard-by app` processes share one control-plane namespace. Besides the
// Applications, ApplicationSets and notifications follow the same ownership: a set is reconciled by one
// replica only, an app's notifications are evaluated and sent by its owner only, and a new owner does
// not send again what the old one sent (the notified state and the pending list live on the app).
describe('2 sharded replicas: ApplicationSets and notifications', () => {
  const git = suiteGitServer();
  const ns = uniqueName('mooring-shx');
  const target = `${ns}-t`;
  const replicas: Replica[] = [];
  let cacheDir: string;
  let repo: string;
  let http: HttpReceiver;

  const logsOf = (r: Replica, msg: string, field: string, value: string) =>
    r.logs.filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(`"${field}":"${value}"`));
  const deliveries = () => http.at(`/hooks/synced/${NOTIFIED}`);

  /** Waits until both replicas publish a view with both of them (so ownership no longer moves). */
  async function waitForBothInView(): Promise<void> {
    await waitFor(
      'both replicas publishing the view [r0, r1]',
      async () => {
        const leases = JSON.parse(
          await kubectl([
            'get',
            'leases',
            '-n',
            ns,
            '-l',
            'mooring.io/shard-member=controller',
            '-o',
            'json',
          ]),
        ) as { items: { metadata: { annotations?: Record<string, string> } }[] };
        const views = leases.items.map((l) => l.metadata.annotations?.[VIEW_ANNOTATION] ?? '');
        return (
          views.length === 2 &&
          views.every(
            (v) => v !== '' && (JSON.parse(v) as { members: string[] }).members.join() === IDS.join(),
          )
        );
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  }

  /** Asks for a refresh of the app and waits until it was handled (both replicas saw the events since). */
  async function refreshed(name: string): Promise<void> {
    await kubectl([
      'annotate',
      'application',
      name,
      '-n',
      ns,
      'argocd.argoproj.io/refresh=normal',
      '--overwrite',
    ]);
    await waitFor(`${name}'s refresh handled`, async () => {
      const a = await getApp(ns, name);
      return a.metadata.annotations?.['argocd.argoproj.io/refresh'] === undefined;
    });
  }

  /** Waits until nothing is left pending on the app, the notified state recorded. */
  async function nothingPending(): Promise<Application> {
    return waitFor(`${NOTIFIED}'s pending notifications delivered`, async () => {
      const a = await getApp(ns, NOTIFIED);
      const ann = a.metadata.annotations ?? {};
      const pending = ann[PENDING_ANNOTATION];
      return ann[NOTIFIED_ANNOTATION] && (!pending || pending === '[]') ? a : undefined;
    });
  }

  beforeAll(async () => {
    http = await startHttpReceiver();
    await kubectl(['create', 'namespace', ns]);
    cacheDir = await mkdtemp(join(tmpdir(), 'mooring-shx-'));
    repo = uniqueName('shx');
    const seed = await mkdtemp(join(tmpdir(), 'mooring-shx-seed-'));
    for (const [path, content] of Object.entries(files('1'))) {
      await mkdir(join(seed, path, '..'), { recursive: true });
      await writeFile(join(seed, path), content);
    }
    await createRepo(git, repo, seed);
    await rm(seed, { recursive: true, force: true });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoSecret(ns, git.repoUrl(repo))) });
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-notifications-cm', namespace: ns },
        data: {
          'service.webhook.hook': `url: ${http.url}/hooks`,
          'template.app-sync-succeeded': [
            'webhook:',
            '  hook:',
            '    method: POST',
            '    path: /synced/{{.app.metadata.name}}',
            '    body: |',
            '      {"revision": "{{.app.status.operationState.syncResult.revision}}"}',
          ].join('\n'),
        },
      }),
    });
    for (const id of IDS) replicas.push(startReplica(id, ns, cacheDir));
    await Promise.all(replicas.map((r) => r.port));
    await waitForBothInView();
  }, 120_000);

  afterAll(async () => {
    for (const r of replicas) await kill(r, 'SIGKILL');
    await http?.stop();
    await kubectl(['delete', 'namespace', ns, target, '--wait=false', '--ignore-not-found']).catch(() => {});
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it("reconciles an ApplicationSet on one replica only, the owner of its key, and writes the set's Applications and status", async () => {
    const setOwner = ownerOf(`appset:${ns}/${SET}`, IDS)!;
    const setKey = `${ns}/${SET}`;
    const set = (elements: string[]) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name: SET, namespace: ns },
      spec: {
        generators: [{ list: { elements: elements.map((name) => ({ name })) } }],
        template: {
          metadata: { name: `${SET}-{{name}}` },
          spec: {
            project: 'default',
            source: { repoURL: git.repoUrl(repo), targetRevision: 'main', path: 'apps/{{name}}' },
            destination: { server: 'https://kubernetes.default.svc', namespace: target },
          },
        },
      },
    });
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(set(ELEMENTS)) });
    for (const e of ELEMENTS) await waitForApp(ns, `${SET}-${e}`, 'created by the set', () => true, 60_000);
    await kubectl(['apply', '-f', '-'], { input: JSON.stringify(set([...ELEMENTS, 'd'])) });
    const written = await waitFor(
      "the set's status listing its 4 Applications",
      async () => {
        const s = JSON.parse(
          await kubectl(['get', 'applicationset', SET, '-n', ns, '-o', 'json']),
        ) as ApplicationSet;
        return (s.status?.resources ?? []).length === 4 ? s : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect((written.status?.resources ?? []).map((r) => r.name).sort()).toEqual(
      [...ELEMENTS, 'd'].map((e) => `${SET}-${e}`),
    );
    const acting = replicas.filter(
      (r) => logsOf(r, 'applicationset reconciled by this replica', 'set', setKey).length > 0,
    );
    const applied = replicas.filter((r) => logsOf(r, 'applicationset applied', 'set', setKey).length > 0);
    console.log(`ApplicationSet ${setKey}: owner ${setOwner}, reconciled by [${acting.map((r) => r.id)}]`);
    expect(acting.map((r) => r.id)).toEqual([setOwner]);
    expect(applied.map((r) => r.id)).toEqual([setOwner]);
  }, 180_000);

  it("sends a sync's notification once, from the app's owner, and not again from the app's next owner", async () => {
    const appOwner = ownerOf(`${ns}/${NOTIFIED}`, IDS)!;
    await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: {
          name: NOTIFIED,
          namespace: ns,
          annotations: { 'notifications.argoproj.io/subscribe.on-sync-succeeded.hook': '' },
        },
        spec: {
          project: 'default',
          source: { repoURL: git.repoUrl(repo), targetRevision: 'main', path: `apps/${NOTIFIED}` },
          destination: { server: 'https://kubernetes.default.svc', namespace: target },
          syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        },
      }),
    });
    const first = await waitForApp(ns, NOTIFIED, 'Synced and Healthy', synced, 120_000);
    await nothingPending();
    await refreshed(NOTIFIED); // more app events on both replicas: none may send it again
    await nothingPending();
    expect(deliveries().map((d) => d.body.trim())).toEqual([
      `{"revision": "${first.status!.operationState!.syncResult!.revision}"}`,
    ]);
    const senders = replicas.filter((r) => logsOf(r, 'notification sent', 'app', `${ns}/${NOTIFIED}`).length);
    expect(senders.map((r) => r.id)).toEqual([appOwner]);

    // The owner leaves (SIGTERM: its lease goes at once); the other replica takes every app over and
    // reads what was sent from the Application: nothing goes out again.
    const owner = replicas.find((r) => r.id === appOwner)!;
    const heir = replicas.find((r) => r.id !== appOwner)!;
    await kill(owner, 'SIGTERM');
    const appsInNs = JSON.parse(await kubectl(['get', 'applications', '-n', ns, '-o', 'json'])) as {
      items: unknown[];
    };
    await waitFor(`${heir.id} owning all ${appsInNs.items.length} apps`, async () => {
      return (await shardApps(heir)) === appsInNs.items.length;
    });
    await refreshed(NOTIFIED);
    await nothingPending();
    expect(deliveries()).toHaveLength(1);

    // A new commit is synced by the heir and notified once, by the heir.
    const wc = await cloneRepo(git, repo);
    for (const [path, content] of Object.entries(files('2'))) await wc.writeFile(path, content);
    const commit = await wc.commit('version 2');
    await wc.push();
    await wc.dispose();
    await refreshed(NOTIFIED);
    await waitForApp(
      ns,
      NOTIFIED,
      `synced to ${commit}`,
      (a) => synced(a) && a.status?.operationState?.syncResult?.revision === commit,
      120_000,
    );
    await waitFor('the second notification', async () => deliveries().length >= 2);
    await nothingPending();
    await refreshed(NOTIFIED);
    await nothingPending();
    expect(deliveries().map((d) => d.body.trim())).toEqual([
      `{"revision": "${first.status!.operationState!.syncResult!.revision}"}`,
      `{"revision": "${commit}"}`,
    ]);
    expect(logsOf(heir, 'notification sent', 'app', `${ns}/${NOTIFIED}`)).toHaveLength(1);
  }, 300_000);
});
