import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, uniqueName } from '../../harness/cluster.js';
import { deployApp, startTestController, waitForApp } from '../../harness/suite.js';
import { runMooring } from '../../harness/cli.js';

// Issue 12, point 5: `mooring app manifests` through a kubeconfig printed Secret values in clear,
// where the API masks them. A person sharing a terminal expects them masked unless asked for.
describe('mooring app manifests: Secret values', () => {
  const ns = uniqueName('manifests-secrets');
  const dest = uniqueName('manifests-secrets-dest');
  const plain = `hunter2-${uniqueName('pw')}`;
  const encoded = Buffer.from(plain).toString('base64');
  let stop: () => Promise<void>;

  const manifests = (...args: string[]) =>
    runMooring(['app', 'manifests', 'creds', ...args, '--kubeconfig', inject('kubeconfig'), '-n', ns]);

  beforeAll(async () => {
    for (const n of [ns, dest]) await kubectl(['create', 'namespace', n]);
    ({ stop } = await startTestController({ namespace: ns, pollIntervalMs: 60_000, jitter: 0 }));
    await deployApp({
      namespace: ns,
      name: 'creds',
      destination: dest,
      syncPolicy: { automated: { prune: true } },
      from: {
        'secret.yaml': `apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: ${plain}
`,
        'settings.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n',
      },
    });
    await waitForApp(ns, 'creds', 'the app synced', (a) => a.status?.sync?.status === 'Synced');
  });

  afterAll(async () => {
    await stop?.();
    await kubectl(['delete', 'namespace', ns, dest, '--wait=false', '--ignore-not-found']).catch(() => {});
  });

  it('masks them by default, live and from Git, and shows the rest as is', async () => {
    for (const source of ['live', 'git']) {
      const r = await manifests('--source', source);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain('kind: Secret');
      expect(r.out).toMatch(/password: "?\+{8,}"?\n/);
      expect(r.out).not.toContain(plain);
      expect(r.out).not.toContain(encoded);
      expect(r.out).not.toContain('last-applied-configuration');
      expect(r.out).toContain('color: blue');
    }
  });

  it('prints them with --show-secrets', async () => {
    const live = await manifests('--show-secrets');
    expect(live.code).toBe(0);
    expect(live.out).toContain(`password: ${encoded}`);
    const git = await manifests('--source', 'git', '--show-secrets');
    expect(git.out).toContain(`password: ${plain}`);
  });
});
