import type { KubeClient } from '../../cluster/index.js';
import type { AppProject, ProjectRoleToken } from '../../core/index.js';
import { ProjectTokenError } from './errors.js';
import { getObject, isConflict, projectPath } from './kube-objects.js';

const MAX_ATTEMPTS = 8;

/** Reads a project fresh from the apiserver (undefined when it does not exist). */
export function fetchProject(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<AppProject | undefined> {
  return getObject<AppProject>(client, projectPath(namespace, name));
}

/**
 * Changes one AppProject with optimistic concurrency: reads it, lets `change` edit a copy (or throw),
 * writes it back with the read resourceVersion, and starts over on a conflict.
 */
export async function updateProject<T>(
  client: KubeClient,
  namespace: string,
  name: string,
  change: (project: AppProject) => T,
): Promise<T> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const project = await fetchProject(client, namespace, name);
    if (!project) throw new ProjectTokenError(`project ${name} not found`, 404);
    const copy = structuredClone(project);
    const result = change(copy);
    try {
      await client.request({ method: 'PUT', path: projectPath(namespace, name), body: copy });
      return result;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  throw new ProjectTokenError(`project ${name} kept changing while updating it; try again`, 409);
}

/** Adds a token record to a role of the project copy (throws when the role is missing or the id is taken). */
export function addTokenRecord(project: AppProject, role: string, record: ProjectRoleToken): void {
  const r = (project.spec?.roles ?? []).find((x) => x?.name === role);
  const name = project.metadata.name ?? '';
  if (!r) throw new ProjectTokenError(`project ${name} has no role ${role}`, 404);
  r.jwtTokens ??= [];
  if (record.id && r.jwtTokens.some((t) => t.id === record.id)) {
    throw new ProjectTokenError(
      `role ${role} of project ${name} already has a token with id ${record.id}`,
      409,
    );
  }
  r.jwtTokens.push(record);
}

interface StatusTokens {
  jwtTokensByRole?: Record<string, { items?: ProjectRoleToken[] }>;
}

/**
 * Removes the tokens of a role whose id, or issued-at seconds, equals `idOrIssuedAt`, from
 * spec.roles[].jwtTokens and from Argo CD's status.jwtTokensByRole; returns how many went.
 */
export function removeTokenRecords(project: AppProject, role: string, idOrIssuedAt: string): number {
  const name = project.metadata.name ?? '';
  const r = (project.spec?.roles ?? []).find((x) => x?.name === role);
  if (!r) throw new ProjectTokenError(`project ${name} has no role ${role}`, 404);
  const matches = (t: ProjectRoleToken) => t.id === idOrIssuedAt || String(t.iat) === idOrIssuedAt;
  let removed = 0;
  if (r.jwtTokens) {
    const before = r.jwtTokens.length;
    r.jwtTokens = r.jwtTokens.filter((t) => !matches(t));
    removed += before - r.jwtTokens.length;
  }
  const status = project.status as StatusTokens | undefined;
  const items = status?.jwtTokensByRole?.[role]?.items;
  if (items) {
    const kept = items.filter((t) => !matches(t));
    removed += items.length - kept.length;
    status!.jwtTokensByRole![role]!.items = kept;
  }
  return removed;
}
