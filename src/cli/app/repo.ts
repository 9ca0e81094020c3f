import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SECRET_TYPE_LABEL, type KubeObject } from '../../core/index.js';
import { normalizeRepoURL, secretStrings } from '../../source/index.js';
import { CliError, EXIT, usageError } from '../cli-error.js';
import { explain, type Kube } from '../kube.js';
import { fail, listTypedSecrets } from './common.js';

/** What `repo add` stores. */
export interface RepoInput {
  url: string;
  name?: string;
  type?: string;
  username?: string;
  password?: string;
  sshPrivateKeyPath?: string;
  insecure?: boolean;
  project?: string;
}

/** One row of `repo list`: never a credential. */
export interface RepoRow {
  type: string;
  name: string;
  repo: string;
  username: string;
}

const secretsPath = (ns: string, name?: string) =>
  `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets${name ? `/${encodeURIComponent(name)}` : ''}`;

/** The Secret name for a repository URL: stable, like Argo CD's `repo-<hash>`. */
export function repoSecretName(url: string): string {
  return `repo-${createHash('sha256').update(normalizeRepoURL(url)).digest('hex').slice(0, 10)}`;
}

async function findRepo(kube: Kube, url: string): Promise<KubeObject[]> {
  const want = normalizeRepoURL(url);
  return (await listTypedSecrets(kube, 'repository')).filter((s) => {
    const u = secretStrings(s).url;
    return u !== undefined && normalizeRepoURL(u) === want;
  });
}

/**
 * Writes an Argo CD repository Secret in the app namespace; an existing one for the same URL is an
 * error unless upsert, which replaces it.
 */
export async function addRepo(kube: Kube, input: RepoInput, upsert: boolean): Promise<'added' | 'updated'> {
  if (input.password !== undefined && input.username === undefined)
    throw usageError('--password needs --username');
  if (input.sshPrivateKeyPath && (input.username || input.password))
    throw usageError('use either --username/--password or --ssh-private-key-path, not both');
  const stringData: Record<string, string> = { type: input.type ?? 'git', url: input.url };
  if (input.name) stringData.name = input.name;
  if (input.username) stringData.username = input.username;
  if (input.password !== undefined) stringData.password = input.password;
  if (input.project) stringData.project = input.project;
  if (input.insecure) stringData.insecure = 'true';
  if (input.sshPrivateKeyPath) {
    try {
      stringData.sshPrivateKey = await readFile(input.sshPrivateKeyPath, 'utf8');
    } catch (err) {
      throw usageError(
        `cannot read ${input.sshPrivateKeyPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
  }
  const existing = await findRepo(kube, input.url);
  if (existing.length && !upsert)
    throw fail(`repository "${input.url}" already exists: use --upsert to update it`);
  const name = existing[0]?.metadata.name ?? repoSecretName(input.url);
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: kube.appNamespace,
      labels: { [SECRET_TYPE_LABEL]: 'repository' },
      ...(existing[0] ? { resourceVersion: existing[0].metadata.resourceVersion } : {}),
    },
    type: 'Opaque',
    stringData,
  };
  try {
    if (existing[0]) {
      // stringData merges into data on update: start from no data so removed fields go away.
      await kube.client.request({ method: 'PUT', path: secretsPath(kube.appNamespace, name), body: secret });
      return 'updated';
    }
    await kube.client.request({ method: 'POST', path: secretsPath(kube.appNamespace), body: secret });
    return 'added';
  } catch (err) {
    throw explain(err, kube);
  }
}

/** The repositories of the app namespace, without credentials. */
export async function listRepos(kube: Kube): Promise<RepoRow[]> {
  return (await listTypedSecrets(kube, 'repository'))
    .map((s) => secretStrings(s))
    .filter((f) => f.url)
    .map((f) => ({ type: f.type || 'git', name: f.name ?? '', repo: f.url!, username: f.username ?? '' }))
    .sort((a, b) => a.repo.localeCompare(b.repo));
}

/** Deletes the repository Secrets of a URL; exit 3 when there is none. */
export async function removeRepo(kube: Kube, url: string): Promise<number> {
  const found = await findRepo(kube, url);
  if (!found.length)
    throw new CliError(`repository "${url}" not found: see 'mooring repo list'`, EXIT.notFound);
  try {
    for (const s of found)
      await kube.client.request({ method: 'DELETE', path: secretsPath(kube.appNamespace, s.metadata.name) });
  } catch (err) {
    throw explain(err, kube);
  }
  return found.length;
}

export { secretsPath };
