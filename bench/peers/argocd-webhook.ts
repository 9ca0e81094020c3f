// What GitHub sends Argo CD after a push: a `push` event to argocd-server's /api/webhook, with the
// files each commit touched (Argo CD compares them with an app's manifest-generate-paths).

/** The body of a GitHub `push` event for a branch moved from `before` to `after`. */
export function githubPushEvent(
  repoURL: string,
  branch: string,
  before: string,
  after: string,
  files: string[],
): Record<string, unknown> {
  const htmlURL = repoURL.replace(/\.git$/, '');
  const name = htmlURL.split('/').pop() ?? htmlURL;
  const commit = { id: after, distinct: true, message: 'push', added: [], removed: [], modified: files };
  return {
    ref: `refs/heads/${branch}`,
    before,
    after,
    created: false,
    deleted: false,
    forced: false,
    commits: [commit],
    head_commit: commit,
    repository: { name, full_name: name, html_url: htmlURL, clone_url: repoURL, default_branch: branch },
  };
}

/** POSTs a push event to Argo CD's /api/webhook as GitHub would (unsigned: no secret configured). */
export async function postGithubPush(webhookURL: string, event: Record<string, unknown>): Promise<void> {
  const res = await fetch(webhookURL, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': crypto.randomUUID(),
    },
    body: JSON.stringify(event),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`argocd-server /api/webhook answered ${res.status}: ${text.trim().slice(0, 200)}`);
}
