import type { ApplicationSet } from '../../core/index.js';
import { colorStatus, table, type Out } from '../output.js';

const condition = (set: ApplicationSet, type: string) => set.status?.conditions?.find((c) => c.type === type);

/** The set's one-word state: Error when ErrorOccurred is True, else ResourcesUpToDate's status. */
export function appSetState(set: ApplicationSet): string {
  if (condition(set, 'ErrorOccurred')?.status === 'True') return 'Error';
  const upToDate = condition(set, 'ResourcesUpToDate')?.status;
  return upToDate === 'True' ? 'UpToDate' : upToDate === 'False' ? 'NotUpToDate' : 'Unknown';
}

/** Generators of a set as a short list: git, list, matrix(git,clusters). */
export function generatorKinds(set: ApplicationSet): string {
  const kinds = (gens: unknown[]): string =>
    gens
      .map((g) => {
        const [kind, body] = Object.entries((g ?? {}) as Record<string, unknown>).find(
          ([k]) => !['selector', 'template'].includes(k),
        ) ?? ['?', undefined];
        const children = (body as { generators?: unknown[] } | undefined)?.generators;
        return Array.isArray(children) ? `${kind}(${kinds(children)})` : kind;
      })
      .join(',');
  return kinds(set.spec?.generators ?? []);
}

/** `mooring appset list`: one row per set. */
export function appSetListTable(sets: ApplicationSet[], out: Out): string {
  return table(
    ['NAME', 'NAMESPACE', 'GENERATORS', 'STRATEGY', 'APPS', 'STATUS', 'MESSAGE'],
    sets.map((s) => [
      s.metadata.name ?? '',
      s.metadata.namespace ?? '',
      generatorKinds(s),
      s.spec?.strategy?.type ?? 'AllAtOnce',
      String(s.status?.resources?.length ?? 0),
      colorStatus(appSetState(s), out),
      appSetState(s) === 'Error' ? (condition(s, 'ErrorOccurred')?.message ?? '').slice(0, 80) : '',
    ]),
  );
}

/** `mooring appset get`: the set, its conditions, its Applications and (RollingSync) their steps. */
export function appSetDetails(set: ApplicationSet, out: Out): string {
  const lines = [
    `Name:          ${set.metadata.name}`,
    `Namespace:     ${set.metadata.namespace}`,
    `Generators:    ${generatorKinds(set)}`,
    `Strategy:      ${set.spec?.strategy?.type ?? 'AllAtOnce'}`,
    `Sync policy:   ${set.spec?.syncPolicy?.applicationsSync ?? 'sync'}`,
    `Status:        ${colorStatus(appSetState(set), out)}`,
    '',
  ];
  const conditions = set.status?.conditions ?? [];
  if (conditions.length) {
    lines.push(
      table(
        ['CONDITION', 'STATUS', 'REASON', 'MESSAGE'],
        conditions.map((c) => [c.type, c.status, c.reason, c.message]),
      ),
    );
  }
  const steps = new Map((set.status?.applicationStatus ?? []).map((a) => [a.application, a]));
  const resources = set.status?.resources ?? [];
  if (resources.length) {
    lines.push(
      table(
        ['APP', 'SYNC', 'HEALTH', ...(steps.size ? ['STEP', 'ROLLOUT'] : [])],
        resources.map((r) => [
          r.name,
          colorStatus(r.status ?? 'Unknown', out),
          colorStatus(r.health?.status ?? 'Unknown', out),
          ...(steps.size ? [steps.get(r.name)?.step ?? '', steps.get(r.name)?.status ?? ''] : []),
        ]),
      ),
    );
  } else lines.push('No Applications yet.\n');
  return lines.join('\n');
}
