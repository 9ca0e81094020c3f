import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  manifestGeneratePaths,
  MAX_WEBHOOK_BYTES,
  parseWebhook,
  pathsTouched,
  pushRelevance,
  repoIdentity,
  webhookMatches,
  type WebhookResult,
} from './webhook.js';

const sample = (name: string) => readFileSync(new URL(`./testdata/webhooks/${name}.json`, import.meta.url));
const hmac = (secret: string, body: Buffer) => createHmac('sha256', secret).update(body).digest('hex');
const JSON_TYPE = { 'content-type': 'application/json' };
const UNSIGNED = { ok: false, status: 401, message: 'signature verification failed' };

const GITHUB_URLS = [
  'https://github.com/Acme/deploy-config',
  'https://github.com/Acme/deploy-config.git',
  'git@github.com:Acme/deploy-config.git',
  'git://github.com/Acme/deploy-config.git',
];

describe('parseWebhook: GitHub', () => {
  const body = sample('github-push');

  it('reads a push: every URL form, the branch, the default branch and the files touched', () => {
    expect(parseWebhook({ ...JSON_TYPE, 'x-github-event': 'push' }, body, {})).toStrictEqual({
      ok: true,
      provider: 'github',
      event: 'push',
      repoURLs: GITHUB_URLS,
      branch: 'main',
      defaultBranch: 'main',
      changedFiles: [
        'apps/guestbook/deployment.yaml',
        'apps/guestbook/redis.yaml',
        'apps/redis/statefulset.yaml',
      ],
    });
  });

  it('verifies X-Hub-Signature-256 when a secret is configured', () => {
    const secrets = { github: 's3cr3t' };
    const good = { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': `sha256=${hmac('s3cr3t', body)}` };
    expect(parseWebhook(good, body, secrets)).toMatchObject({ ok: true, branch: 'main' });
    const upper = { ...good, 'X-Hub-Signature-256': `sha256=${hmac('s3cr3t', body).toUpperCase()}` };
    expect(parseWebhook(upper, body, secrets)).toMatchObject({ ok: true });

    const wrongKey = { ...good, 'X-Hub-Signature-256': `sha256=${hmac('other', body)}` };
    expect(parseWebhook(wrongKey, body, secrets)).toStrictEqual(UNSIGNED);
    const tampered = Buffer.concat([body, Buffer.from(' ')]);
    expect(parseWebhook(good, tampered, secrets)).toStrictEqual(UNSIGNED);
    expect(parseWebhook({ 'X-GitHub-Event': 'push' }, body, secrets)).toStrictEqual(UNSIGNED);
    const noPrefix = { ...good, 'X-Hub-Signature-256': hmac('s3cr3t', body) };
    expect(parseWebhook(noPrefix, body, secrets)).toStrictEqual(UNSIGNED);
    // The legacy SHA-1 signature alone is not enough.
    const sha1 = createHmac('sha1', 's3cr3t').update(body).digest('hex');
    expect(
      parseWebhook({ 'X-GitHub-Event': 'push', 'X-Hub-Signature': `sha1=${sha1}` }, body, secrets),
    ).toStrictEqual(UNSIGNED);
  });

  it('computes the signature GitHub documents (HMAC-SHA256 of the raw body, hex)', () => {
    const tiny = Buffer.from('{"zen":"x"}');
    const sig = 'sha256=81be93d2a59760ee5008ac5bdc80cc260edc8aa40847ecdcf8af81a4733e2f45'; // from openssl dgst
    const headers = { 'x-github-event': 'ping', 'x-hub-signature-256': sig };
    expect(parseWebhook(headers, tiny, { github: 's3cr3t' })).toStrictEqual({
      ok: true,
      provider: 'github',
      event: 'ping',
      repoURLs: [],
      ping: true,
    });
  });

  it('answers a ping, and reads a tag push without claiming to know its files', () => {
    expect(parseWebhook({ 'x-github-event': 'ping' }, sample('github-ping'), {})).toStrictEqual({
      ok: true,
      provider: 'github',
      event: 'ping',
      repoURLs: GITHUB_URLS,
      defaultBranch: 'main',
      ping: true,
    });
    expect(parseWebhook({ 'x-github-event': 'push' }, sample('github-tag-push'), {})).toStrictEqual({
      ok: true,
      provider: 'github',
      event: 'push',
      repoURLs: GITHUB_URLS,
      tag: 'v1.4.0',
      defaultBranch: 'main',
    });
  });

  it('leaves changedFiles unknown for force pushes and new branches, and ignores other events', () => {
    const payload = JSON.parse(body.toString()) as Record<string, unknown>;
    for (const flag of ['forced', 'created']) {
      const result = parseWebhook(
        { 'x-github-event': 'push' },
        Buffer.from(JSON.stringify({ ...payload, [flag]: true })),
        {},
      );
      expect(result).toMatchObject({ ok: true, branch: 'main' });
      expect(result).not.toHaveProperty('changedFiles');
    }
    const pr = parseWebhook({ 'x-github-event': 'pull_request' }, body, {});
    expect(pr).toStrictEqual({
      ok: true,
      provider: 'github',
      event: 'pull_request',
      repoURLs: GITHUB_URLS,
      defaultBranch: 'main',
    });
  });
});

describe('parseWebhook: GitLab', () => {
  const body = sample('gitlab-push');
  const urls = [
    'https://gitlab.example.com/platform/infra/deploy-config',
    'https://gitlab.example.com/platform/infra/deploy-config.git',
    'git@gitlab.example.com:platform/infra/deploy-config.git',
  ];

  it('reads a Push Hook with a nested group and a branch with a slash', () => {
    const headers = { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': 'tok-123' };
    expect(parseWebhook(headers, body, { gitlab: 'tok-123' })).toStrictEqual({
      ok: true,
      provider: 'gitlab',
      event: 'Push Hook',
      repoURLs: urls,
      branch: 'release/2024.05',
      defaultBranch: 'main',
      changedFiles: [
        'charts/api/Chart.yaml',
        'charts/api/templates/ingress-v1beta1.yaml',
        'envs/staging/values.yaml',
      ],
    });
  });

  it('checks X-Gitlab-Token', () => {
    const fail = { ok: false, status: 401, message: 'token verification failed' };
    expect(
      parseWebhook({ 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': 'tok-12' }, body, {
        gitlab: 'tok-123',
      }),
    ).toStrictEqual(fail);
    expect(parseWebhook({ 'X-Gitlab-Event': 'Push Hook' }, body, { gitlab: 'tok-123' })).toStrictEqual(fail);
  });

  it('reads Tag Push Hooks and pushes relayed by a System Hook', () => {
    expect(parseWebhook({ 'X-Gitlab-Event': 'Tag Push Hook' }, sample('gitlab-tag-push'), {})).toStrictEqual({
      ok: true,
      provider: 'gitlab',
      event: 'Tag Push Hook',
      repoURLs: urls,
      tag: 'v2.0.1',
      defaultBranch: 'main',
    });
    expect(parseWebhook({ 'X-Gitlab-Event': 'System Hook' }, body, {})).toMatchObject({
      ok: true,
      event: 'System Hook',
      branch: 'release/2024.05',
    });
  });

  it('leaves changedFiles unknown when GitLab cut the commit list short', () => {
    const payload = { ...(JSON.parse(body.toString()) as object), total_commits_count: 31 };
    const result = parseWebhook({ 'X-Gitlab-Event': 'Push Hook' }, Buffer.from(JSON.stringify(payload)), {});
    expect(result).toMatchObject({ ok: true, branch: 'release/2024.05' });
    expect(result).not.toHaveProperty('changedFiles');
  });
});

describe('parseWebhook: Gitea and Gogs', () => {
  const gitea = sample('gitea-push');
  const gogs = sample('gogs-push');

  it('reads a Gitea push, recognised by X-Gitea-Event even beside its GitHub and Gogs compatibility headers', () => {
    const sig = hmac('gt', gitea);
    const headers = {
      'x-gitea-event': 'push',
      'x-gitea-signature': sig,
      'x-gogs-event': 'push',
      'x-gogs-signature': sig,
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${sig}`,
    };
    expect(parseWebhook(headers, gitea, { gitea: 'gt', github: 'not-this-one' })).toStrictEqual({
      ok: true,
      provider: 'gitea',
      event: 'push',
      repoURLs: [
        'https://gitea.example.com/ops/apps',
        'https://gitea.example.com/ops/apps.git',
        'ssh://git@gitea.example.com:2222/ops/apps.git',
      ],
      branch: 'main',
      defaultBranch: 'main',
      changedFiles: ['podinfo/kustomization.yaml'],
    });
  });

  it('verifies X-Gitea-Signature, falling back to the Gogs secret as Argo CD does', () => {
    const headers = { 'x-gitea-event': 'push', 'x-gitea-signature': hmac('gg', gitea) };
    expect(parseWebhook(headers, gitea, { gogs: 'gg' })).toMatchObject({ ok: true, provider: 'gitea' });
    expect(parseWebhook(headers, gitea, { gitea: 'gt', gogs: 'gg' })).toStrictEqual(UNSIGNED);
    expect(parseWebhook({ 'x-gitea-event': 'push' }, gitea, { gitea: 'gt' })).toStrictEqual(UNSIGNED);
  });

  it('reads a Gogs push; without file lists or a commit count, changedFiles stays unknown', () => {
    const headers = { 'x-gogs-event': 'push', 'x-gogs-signature': hmac('gg', gogs) };
    expect(parseWebhook(headers, gogs, { gogs: 'gg' })).toStrictEqual({
      ok: true,
      provider: 'gogs',
      event: 'push',
      repoURLs: [
        'https://gogs.example.com/team/manifests',
        'https://gogs.example.com/team/manifests.git',
        'git@gogs.example.com:team/manifests.git',
      ],
      branch: 'master',
      defaultBranch: 'master',
    });
    expect(
      parseWebhook({ ...headers, 'x-gogs-signature': hmac('gg', gitea) }, gogs, { gogs: 'gg' }),
    ).toStrictEqual(UNSIGNED);
  });
});

describe('parseWebhook: Bitbucket Cloud', () => {
  const body = sample('bitbucket-push');
  const uuid = '7a2f0d4e-9c31-4b8e-a5d6-0f1e2d3c4b5a';

  it('reads repo:push, checking X-Hook-UUID with or without braces', () => {
    const expected = {
      ok: true,
      provider: 'bitbucket',
      event: 'repo:push',
      repoURLs: ['https://bitbucket.org/northwind/k8s-deploy', 'git@bitbucket.org:northwind/k8s-deploy.git'],
      branch: 'production',
      defaultBranch: 'main',
    };
    const headers = { 'X-Event-Key': 'repo:push', 'X-Hook-UUID': uuid };
    expect(parseWebhook(headers, body, { bitbucket: uuid })).toStrictEqual(expected);
    expect(parseWebhook(headers, body, { bitbucket: `{${uuid.toUpperCase()}}` })).toStrictEqual(expected);
    const fail = { ok: false, status: 401, message: 'hook UUID verification failed' };
    expect(
      parseWebhook({ ...headers, 'X-Hook-UUID': uuid.replace('7', '8') }, body, { bitbucket: uuid }),
    ).toStrictEqual(fail);
    expect(parseWebhook({ 'X-Event-Key': 'repo:push' }, body, { bitbucket: uuid })).toStrictEqual(fail);
  });

  it('reads a deleted branch from the old ref, and refuses Bitbucket Server hooks plainly', () => {
    const payload = JSON.parse(body.toString()) as { push: { changes: Record<string, unknown>[] } };
    payload.push.changes[0]!.new = null;
    const result = parseWebhook({ 'X-Event-Key': 'repo:push' }, Buffer.from(JSON.stringify(payload)), {});
    expect(result).toMatchObject({ ok: true, branch: 'production' });
    expect(parseWebhook({ 'X-Event-Key': 'repo:refs_changed' }, body, {})).toStrictEqual({
      ok: false,
      status: 400,
      message: 'Bitbucket Server webhooks are not supported yet: rely on polling for this repository',
    });
  });
});

describe('parseWebhook: events that move no branch or tag', () => {
  const edit = (name: string, change: (p: Record<string, unknown>) => void) => {
    const payload = JSON.parse(sample(name).toString()) as Record<string, unknown>;
    change(payload);
    return Buffer.from(JSON.stringify(payload));
  };

  it('names the repository but no ref for other events and for refs outside heads and tags', () => {
    const mr = parseWebhook(
      { 'X-Gitlab-Event': 'Merge Request Hook' },
      edit('gitlab-push', (p) => (p.object_kind = 'merge_request')),
      {},
    );
    expect(mr).toMatchObject({ ok: true, event: 'Merge Request Hook' });
    expect(mr).not.toHaveProperty('branch');
    const create = parseWebhook({ 'x-gitea-event': 'create' }, sample('gitea-push'), {});
    expect(create).toMatchObject({ ok: true, provider: 'gitea', event: 'create' });
    expect(create).not.toHaveProperty('branch');
    const fork = parseWebhook({ 'X-Event-Key': 'repo:fork' }, sample('bitbucket-push'), {});
    expect(fork).toMatchObject({ ok: true, event: 'repo:fork', defaultBranch: 'main' });
    expect(fork).not.toHaveProperty('branch');
    const notes = parseWebhook(
      { 'x-github-event': 'push' },
      edit('github-push', (p) => (p.ref = 'refs/notes/commits')),
      {},
    );
    expect(notes).toMatchObject({ ok: true, event: 'push' });
    expect(Object.keys(notes)).not.toContain('branch');
    expect(Object.keys(notes)).not.toContain('tag');
  });

  it('reads Bitbucket tags, and leaves changedFiles unknown when a branch is created', () => {
    const tag = edit('bitbucket-push', (p) => {
      const change = (p.push as { changes: Record<string, unknown>[] }).changes[0]!;
      change.new = { type: 'tag', name: 'prod-2024-05-06' };
    });
    expect(parseWebhook({ 'X-Event-Key': 'repo:push' }, tag, {})).toMatchObject({
      ok: true,
      tag: 'prod-2024-05-06',
    });
    const created = edit('gitea-push', (p) => (p.before = '0000000000000000000000000000000000000000'));
    const result = parseWebhook({ 'x-gitea-event': 'push' }, created, {});
    expect(result).toMatchObject({ ok: true, branch: 'main' });
    expect(result).not.toHaveProperty('changedFiles');
  });
});

describe('parseWebhook: bad requests', () => {
  it('refuses unknown senders, wrong content types and bodies that are not a JSON object', () => {
    expect(parseWebhook({ 'user-agent': 'curl/8.5.0' }, Buffer.from('{}'), {})).toStrictEqual({
      ok: false,
      status: 400,
      message:
        'unknown webhook: no X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event, X-Gogs-Event or X-Event-Key header',
    });
    const form = { 'x-github-event': 'push', 'content-type': 'application/x-www-form-urlencoded' };
    expect(parseWebhook(form, Buffer.from('payload=%7B%7D'), {})).toStrictEqual({
      ok: false,
      status: 415,
      message:
        'unsupported content type "application/x-www-form-urlencoded": set the webhook\'s content type to application/json',
    });
    const push = { 'x-github-event': 'push', 'content-type': 'application/json; charset=utf-8' };
    expect(parseWebhook(push, Buffer.from('{"ref": '), {})).toStrictEqual({
      ok: false,
      status: 400,
      message: 'invalid JSON payload',
    });
    expect(parseWebhook(push, Buffer.from('[1]'), {})).toStrictEqual({
      ok: false,
      status: 400,
      message: 'invalid JSON payload: expected an object',
    });
  });

  it('authenticates before reading the body', () => {
    const form = { 'x-github-event': 'push', 'content-type': 'text/plain' };
    expect(parseWebhook(form, Buffer.from('not json'), { github: 's' })).toStrictEqual(UNSIGNED);
  });

  it('reads the first value of a repeated header', () => {
    const headers = { 'x-gitlab-event': ['Push Hook', 'Tag Push Hook'] };
    expect(parseWebhook(headers, sample('gitlab-push'), {})).toMatchObject({ ok: true, event: 'Push Hook' });
  });

  it('exports the payload size limit for the HTTP handler', () => {
    expect(MAX_WEBHOOK_BYTES).toBe(1_048_576);
  });
});

describe('webhookMatches', () => {
  const push = parseWebhook({ 'x-github-event': 'push' }, sample('github-push'), {});
  const tag = parseWebhook({ 'x-github-event': 'push' }, sample('github-tag-push'), {});
  const repo = 'https://github.com/Acme/deploy-config';

  it('treats ssh, https, git:// spellings of a repository as one', () => {
    for (const repoURL of [
      'https://github.com/Acme/deploy-config.git',
      'https://github.com/acme/deploy-config/',
      'git@github.com:Acme/deploy-config.git',
      'ssh://git@github.com/Acme/deploy-config',
      'ssh://git@github.com:22/Acme/deploy-config.git',
      'https://token@github.com/Acme/deploy-config',
      'http://GitHub.com/Acme/deploy-config',
    ]) {
      expect(webhookMatches(push, { repoURL, targetRevision: 'main' }), repoURL).toBe(true);
    }
    for (const repoURL of [
      'https://github.com/Acme/deploy-config-old',
      'https://github.com/Acme/deploy',
      'https://gitlab.com/Acme/deploy-config',
    ]) {
      expect(webhookMatches(push, { repoURL, targetRevision: 'main' }), repoURL).toBe(false);
    }
    expect(repoIdentity('ssh://git@gitea.example.com:2222/ops/apps.git')).toBe('gitea.example.com/ops/apps');
    expect(repoIdentity('/srv/git/Apps.git/')).toBe('/srv/git/apps');
    expect(repoIdentity('git@GitLab.example.com:platform/infra/deploy-config.git')).toBe(
      'gitlab.example.com/platform/infra/deploy-config',
    );
  });

  it('matches the branch pushed, with or without refs/heads/, and HEAD through the default branch', () => {
    expect(webhookMatches(push, { repoURL: repo, targetRevision: 'main' })).toBe(true);
    expect(webhookMatches(push, { repoURL: repo, targetRevision: 'refs/heads/main' })).toBe(true);
    expect(webhookMatches(push, { repoURL: repo, targetRevision: 'refs/tags/main' })).toBe(false);
    expect(webhookMatches(push, { repoURL: repo, targetRevision: 'develop' })).toBe(false);
    expect(webhookMatches(push, { repoURL: repo })).toBe(true);
    expect(webhookMatches(push, { repoURL: repo, targetRevision: 'HEAD' })).toBe(true);
    // A commit id never moves.
    expect(
      webhookMatches(push, { repoURL: repo, targetRevision: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c' }),
    ).toBe(false);
  });

  it('matches tags by name or refs/tags/, never HEAD apps', () => {
    expect(webhookMatches(tag, { repoURL: repo, targetRevision: 'v1.4.0' })).toBe(true);
    expect(webhookMatches(tag, { repoURL: repo, targetRevision: 'refs/tags/v1.4.0' })).toBe(true);
    expect(webhookMatches(tag, { repoURL: repo, targetRevision: 'refs/heads/v1.4.0' })).toBe(false);
    expect(webhookMatches(tag, { repoURL: repo, targetRevision: 'HEAD' })).toBe(false);
  });

  it('finds the default branch in the payload, then resolveHEAD, else refreshes HEAD apps on any branch', () => {
    const gitlab = parseWebhook({ 'X-Gitlab-Event': 'Push Hook' }, sample('gitlab-push'), {});
    const app = {
      repoURL: 'git@gitlab.example.com:platform/infra/deploy-config.git',
      targetRevision: 'HEAD',
    };
    expect(webhookMatches(gitlab, app)).toBe(false); // pushed release/2024.05, default is main
    expect(webhookMatches(gitlab, app, () => 'release/2024.05')).toBe(false); // the payload wins

    const noDefault = { ...(push as Extract<WebhookResult, { ok: true }>), defaultBranch: undefined };
    expect(webhookMatches(noDefault, { repoURL: repo }, () => 'main')).toBe(true);
    expect(webhookMatches(noDefault, { repoURL: repo }, () => 'trunk')).toBe(false);
    expect(webhookMatches(noDefault, { repoURL: repo })).toBe(true);
  });

  it('never matches pings or refusals', () => {
    const ping = parseWebhook({ 'x-github-event': 'ping' }, sample('github-ping'), {});
    expect(webhookMatches(ping, { repoURL: repo })).toBe(false);
    const refused = parseWebhook({ 'x-github-event': 'push' }, sample('github-push'), { github: 'x' });
    expect(webhookMatches(refused, { repoURL: repo, targetRevision: 'main' })).toBe(false);
  });
});

describe('manifestGeneratePaths (Argo CD annotation)', () => {
  it('reads relative, absolute, several and glob paths', () => {
    // Argo CD, high_availability.md: "The annotation might contain a relative path. In this case the path
    // is considered relative to the path specified in the application source"
    expect(manifestGeneratePaths('.', 'guestbook')).toEqual(['guestbook']);
    // "The annotation value might be an absolute path starting with '/'. In this case path is considered
    // as an absolute path within the Git repository"
    expect(manifestGeneratePaths('/guestbook', 'elsewhere')).toEqual(['guestbook']);
    // "It is possible to put multiple paths into the annotation. Paths must be separated with a semicolon (`;`)"
    expect(manifestGeneratePaths('.;../shared', 'my-application')).toEqual(['my-application', 'shared']);
    expect(manifestGeneratePaths('/shared/*-secret.yaml', 'guestbook')).toEqual(['shared/*-secret.yaml']);
    expect(manifestGeneratePaths('../../../..', 'a/b')).toEqual(['']);
    expect(manifestGeneratePaths(undefined, 'a')).toBeUndefined();
    expect(manifestGeneratePaths('  ', 'a')).toBeUndefined();
  });

  it('matches changed files below a path, or against a glob (which never crosses "/")', () => {
    expect(pathsTouched(['guestbook'], 'guestbook/deploy.yaml')).toBe(true);
    expect(pathsTouched(['guestbook'], 'guestbook-2/deploy.yaml')).toBe(false);
    expect(pathsTouched(['shared/*-secret.yaml'], 'shared/db-secret.yaml')).toBe(true);
    expect(pathsTouched(['shared/*-secret.yaml'], 'shared/sub/db-secret.yaml')).toBe(false);
    expect(pathsTouched(['shared/[ab]?.yaml'], 'shared/a1.yaml')).toBe(true);
    expect(pathsTouched(['shared/[unclosed'], 'shared/[unclosed')).toBe(false);
    expect(pathsTouched([''], 'any/file')).toBe(true);
  });
});

describe('pushRelevance', () => {
  const push = (...changedFiles: string[]) => ({ changedFiles });

  it('is changed when a changed file is among the inputs Mooring found, or the annotation paths', () => {
    expect(pushRelevance(push('apps/a/cm.yaml'), { inputPaths: ['apps/a', 'base'] })).toBe('changed');
    expect(pushRelevance(push('base/d.yaml'), { inputPaths: ['apps/a', 'base'] })).toBe('changed');
    expect(pushRelevance(push('apps/b/cm.yaml'), { inputPaths: ['apps/a', 'base'] })).toBe('unchanged');
    // Argo CD, high_availability.md: "If no modified files match the paths specified in
    // `argocd.argoproj.io/manifest-generate-paths`, then it will not trigger application reconciliation
    // and the existing cache will be considered valid for the new commit." Mooring still refreshes such
    // an app (its revision), after the apps the push changed.
    expect(pushRelevance(push('README.md'), { generatePaths: ['guestbook'] })).toBe('unchanged');
    expect(pushRelevance(push('guestbook/x.yaml'), { generatePaths: ['guestbook'] })).toBe('changed');
    // Either one touched is enough: the annotation cannot hide what the render reads.
    expect(
      pushRelevance(push('base/d.yaml'), { inputPaths: ['apps/a', 'base'], generatePaths: ['apps/a'] }),
    ).toBe('changed');
  });

  it('is unknown when the payload lists no files (Bitbucket, a rewinding forced push) or nothing is known', () => {
    expect(pushRelevance({}, { inputPaths: ['apps/a'] })).toBe('unknown');
    expect(pushRelevance(push(), { inputPaths: ['apps/a'] })).toBe('unknown');
    expect(pushRelevance(push('apps/a/x'), {})).toBe('unknown');
  });
});
