import type { Application, ApplicationCondition, ApplicationSource } from '../../core/index.js';
import { colorStatus, table, type Out } from '../output.js';

const NONE = '<none>';

/** The SYNCPOLICY column, as argocd prints it: Manual, Auto, Auto-Prune. */
export function syncPolicyOf(app: Application): string {
  const a = app.spec.syncPolicy?.automated;
  if (!a || a.enabled === false) return 'Manual';
  return a.prune ? 'Auto-Prune' : 'Auto';
}

/** The CONDITIONS column: condition types with a count when repeated (`ComparisonError(2)`), or <none>. */
export function conditionsSummary(conditions: ApplicationCondition[] | undefined): string {
  if (!conditions?.length) return NONE;
  const counts = new Map<string, number>();
  for (const c of conditions) counts.set(c.type, (counts.get(c.type) ?? 0) + 1);
  return [...counts].map(([t, n]) => (n > 1 ? `${t}(${n})` : t)).join(',');
}

/** The cluster an app deploys to: destination server, else its name. */
export function clusterOf(app: Application): string {
  return app.spec.destination.server ?? app.spec.destination.name ?? '';
}

/** `mooring app list` as a table; wide adds the synced revision. */
export function appListTable(apps: Application[], wide: boolean, out: Out): string {
  const headers = [
    'NAME',
    'CLUSTER',
    'NAMESPACE',
    'PROJECT',
    'STATUS',
    'HEALTH',
    'SYNCPOLICY',
    'CONDITIONS',
    'REPO',
    'PATH',
    'TARGET',
    ...(wide ? ['REVISION'] : []),
  ];
  const rows = apps.map((a) => [
    a.metadata.name ?? '',
    clusterOf(a),
    a.spec.destination.namespace ?? '',
    a.spec.project || 'default',
    colorStatus(a.status?.sync?.status ?? 'Unknown', out),
    colorStatus(a.status?.health?.status ?? 'Unknown', out),
    syncPolicyOf(a),
    conditionsSummary(a.status?.conditions),
    // Multiple sources: the first one, and how many more (`mooring app get` lists them all).
    (firstSource(a)?.repoURL ?? '') +
      ((a.spec.sources?.length ?? 0) > 1 ? ` (+${a.spec.sources!.length - 1})` : ''),
    firstSource(a)?.path ?? '',
    firstSource(a)?.targetRevision ?? '',
    ...(wide ? [a.status?.sync?.revision ?? (a.status?.sync?.revisions ?? []).map(short).join(',')] : []),
  ]);
  return table(headers, rows);
}

const short = (sha: string | undefined) => (sha ? sha.slice(0, 7) : '');

/** spec.source, or the first of spec.sources. */
function firstSource(app: Application): ApplicationSource | undefined {
  return app.spec.sources?.length ? app.spec.sources[0] : app.spec.source;
}

/** True when the app has spec.sources (which then replace spec.source, as in Argo CD). */
const multiSource = (app: Application): boolean => (app.spec.sources?.length ?? 0) > 0;

/** A revision as argocd shows it: `target (sha7)` for a commit, the version alone for a chart. */
function revisionText(target: string | undefined, revision: string | undefined): string {
  if (!revision) return target ?? '';
  return /^[0-9a-f]{40}$/.test(revision) ? `${target || 'HEAD'} (${short(revision)})` : revision;
}

/** Every source of a multi-source app with the revision it was compared at. */
export function sourcesTable(app: Application): string {
  const revisions = app.status?.sync?.revisions ?? [];
  return table(
    ['SOURCE', 'REPO', 'PATH', 'CHART', 'REF', 'TARGET', 'REVISION'],
    (app.spec.sources ?? []).map((src, i) => [
      String(i + 1) + (src.name ? ` ${src.name}` : ''),
      src.repoURL,
      src.path ?? '',
      src.chart ?? '',
      src.ref ? `$${src.ref}` : '',
      src.targetRevision ?? '',
      revisions[i] ? revisionText(undefined, revisions[i]) : '',
    ]),
  );
}

/** `mooring app get`: the summary lines, then the resource table. */
export function appDetails(app: Application, out: Out): string {
  const s = app.spec.source;
  const multi = multiSource(app);
  const op = app.status?.operationState;
  const automated = app.spec.syncPolicy?.automated;
  const policy =
    !automated || automated.enabled === false
      ? NONE
      : ['Automated', automated.prune ? 'Prune' : '', automated.selfHeal ? 'SelfHeal' : '']
          .filter(Boolean)
          .join(', ');
  const sync = app.status?.sync;
  const health = app.status?.health;
  const lines: [string, string][] = [
    ['Name', `${app.metadata.namespace}/${app.metadata.name}`],
    ['Project', app.spec.project || 'default'],
    ['Server', clusterOf(app)],
    ['Namespace', app.spec.destination.namespace ?? ''],
    ...(multi
      ? [['Sources', `${app.spec.sources!.length} (below)`] as [string, string]]
      : ([
          ['Repo', s?.repoURL ?? ''],
          ['Target', s?.targetRevision ?? ''],
          ['Path', s?.path ?? ''],
        ] as [string, string][])),
    ['Sync Policy', policy],
    [
      'Sync Status',
      `${colorStatus(sync?.status ?? 'Unknown', out)}${sync?.revision ? ` to ${s?.targetRevision || 'HEAD'} (${short(sync.revision)})` : ''}${multi && sync?.revisions?.length ? ` to ${sync.revisions.map(short).join(', ')}` : ''}`,
    ],
    [
      'Health Status',
      `${colorStatus(health?.status ?? 'Unknown', out)}${health?.message ? ` (${health.message})` : ''}`,
    ],
  ];
  if (op) {
    lines.push(['Operation', 'Sync']);
    if (op.syncResult?.revisions?.length)
      lines.push(['Sync Revisions', op.syncResult.revisions.map(short).join(', ')]);
    else if (op.syncResult?.revision) lines.push(['Sync Revision', op.syncResult.revision]);
    lines.push(['Phase', colorStatus(op.phase, out)]);
    lines.push(['Start', op.startedAt]);
    if (op.finishedAt) lines.push(['Finished', op.finishedAt]);
    lines.push(['Message', op.message ?? '']);
  }
  let text = lines.map(([k, v]) => `${(k + ':').padEnd(20)}${v}`).join('\n') + '\n';
  if (multi) text += '\n' + sourcesTable(app);
  const conditions = app.status?.conditions ?? [];
  if (conditions.length) {
    text +=
      '\n' +
      table(
        ['CONDITION', 'MESSAGE', 'LAST TRANSITION'],
        conditions.map((c) => [c.type, c.message.split('\n')[0] ?? '', c.lastTransitionTime ?? '']),
      );
  }
  return text + '\n' + resourceTable(app, out);
}

/** GROUP KIND NAMESPACE NAME STATUS HEALTH HOOK MESSAGE from status.resources (messages from the last sync). */
export function resourceTable(app: Application, out: Out): string {
  const op = app.status?.operationState;
  const results = op?.syncResult?.resources ?? [];
  const messageOf = (group: string, kind: string, ns: string, name: string) =>
    results.find((r) => r.group === group && r.kind === kind && r.namespace === ns && r.name === name)
      ?.message ?? '';
  const rows = (app.status?.resources ?? []).map((r) => [
    r.group,
    r.kind,
    r.namespace,
    r.name,
    colorStatus(r.requiresPruning ? `${r.status}` : r.status, out) + (r.requiresPruning ? ' (prune)' : ''),
    r.health ? colorStatus(r.health.status, out) : '',
    r.hook ? 'true' : '',
    messageOf(r.group, r.kind, r.namespace, r.name) || (r.health?.message ?? ''),
  ]);
  return table(['GROUP', 'KIND', 'NAMESPACE', 'NAME', 'STATUS', 'HEALTH', 'HOOK', 'MESSAGE'], rows);
}

/** `mooring app history`: ID DATE REVISION, the revision as `targetRevision (sha7)` like argocd. */
export function historyTable(app: Application): string {
  const history = app.status?.history ?? [];
  return table(
    ['ID', 'DATE', 'REVISION'],
    history.map((h) => {
      // Multiple sources: each source's revision, in order.
      if (h.revisions?.length)
        return [
          String(h.id),
          h.deployedAt,
          h.revisions.map((r, i) => revisionText(h.sources?.[i]?.targetRevision, r)).join(', '),
        ];
      const target = (h.source as { targetRevision?: string } | undefined)?.targetRevision ?? '';
      const rev = h.revision.length >= 7 ? `${target || 'HEAD'} (${short(h.revision)})` : target;
      return [String(h.id), h.deployedAt, rev];
    }),
  );
}
