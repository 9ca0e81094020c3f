import { describe, expect, it } from 'vitest';
import { askOwnersToRefresh } from './refresh-request.js';

describe('askOwnersToRefresh', () => {
  it("annotates the apps other replicas act on (or nobody yet), not this replica's own", async () => {
    const patched: { path: string; body: unknown }[] = [];
    const client = {
      request: async <T>(req: { path: string; body?: unknown }) => {
        patched.push({ path: req.path, body: req.body });
        return {} as T;
      },
    };
    const owners: Record<string, string | undefined> = {
      'argocd/mine': 'r0',
      'argocd/theirs': 'r1',
      'team/moving': undefined,
    };
    const asked = await askOwnersToRefresh(
      client,
      { replicaId: 'r0', claimant: (k) => owners[k] },
      Object.keys(owners),
    );
    expect(asked).toEqual(['argocd/theirs', 'team/moving']);
    expect(patched).toEqual([
      {
        path: '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/theirs',
        body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
      },
      {
        path: '/apis/argoproj.io/v1alpha1/namespaces/team/applications/moving',
        body: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } },
      },
    ]);
  });
});
