import { maskSecrets } from '../../diff/index.js';
import type { Command } from '../command.js';
import { printData } from '../output.js';
import { usageError } from '../cli-error.js';
import { OUTPUT_OPTION, outputOf, str, timeoutOf } from '../app/common.js';
import { appDetails, historyTable } from '../app/format.js';
import { formatDifferences, yamlDocuments } from '../app/diff.js';
import { gitResolver, waitForApp, wantedRevision, type WaitConditions } from '../app/wait.js';
import { KubeBackend } from '../app/kube-backend.js';
import { openAppBackend, SERVER_OPTIONS } from '../server/select.js';
import { listCommand } from './app-list.js';

/** `mooring app get NAME`. */
const getCommand: Command = {
  name: 'app get',
  summary: "Show an Application's status and resources",
  usage: 'APPNAME',
  args: [1, 1],
  options: { ...OUTPUT_OPTION, ...SERVER_OPTIONS },
  examples: ['mooring app get myapp-production', 'mooring app get myapp-production -o yaml'],
  run: async (ctx) => {
    const format = outputOf(ctx);
    const app = await (await openAppBackend(ctx.values)).get(ctx.positionals[0]!);
    if (format === 'json' || format === 'yaml') printData(app, format, ctx.out);
    else ctx.out.write(appDetails(app, ctx.out));
    return 0;
  },
};

/** `mooring app history NAME`. */
const historyCommand: Command = {
  name: 'app history',
  summary: "Show an Application's deployment history (the IDs app rollback takes)",
  usage: 'APPNAME',
  args: [1, 1],
  options: { ...OUTPUT_OPTION, ...SERVER_OPTIONS },
  examples: ['mooring app history myapp-production', 'mooring app history myapp-production -o json'],
  run: async (ctx) => {
    const format = outputOf(ctx);
    const app = await (await openAppBackend(ctx.values)).get(ctx.positionals[0]!);
    if (format === 'json' || format === 'yaml') printData(app.status?.history ?? [], format, ctx.out);
    else ctx.out.write(historyTable(app));
    return 0;
  },
};

/** `mooring app wait NAME`. */
const waitCommand: Command = {
  name: 'app wait',
  summary: 'Wait until an Application is synced, healthy and/or done with its operation',
  usage: 'APPNAME',
  args: [1, 1],
  options: {
    ...OUTPUT_OPTION,
    sync: { type: 'boolean', help: 'wait until Synced' },
    health: { type: 'boolean', help: 'wait until Healthy' },
    operation: { type: 'boolean', help: 'wait until no operation is pending or running' },
    degraded: { type: 'boolean', help: 'wait until Degraded' },
    latest: {
      type: 'boolean',
      help: 'and at the newest commit of its target revision, read from Git now (after a push: Synced alone may be the old commit)',
    },
    revision: {
      type: 'string',
      help: 'and at this commit (7+ hex digits), or at the newest commit of this branch or tag',
      valueName: 'REV',
    },
    timeout: {
      type: 'string',
      help: 'give up after this long (30s, 5m; a bare number is seconds; default: never)',
      valueName: 'DURATION',
    },
    ...SERVER_OPTIONS,
  },
  examples: [
    'mooring app wait myapp-production                      # synced, healthy, no operation running',
    'mooring app wait myapp-production --health --timeout 5m',
    '# after a push: wait for the pushed commit, not for the state before it',
    'mooring app wait myapp-production --sync --health --latest --timeout 5m',
    'mooring app wait myapp-production --sync --health --revision $(git rev-parse HEAD)',
  ],
  run: async (ctx) => {
    const format = outputOf(ctx);
    const timeout = timeoutOf(ctx);
    const backend = await openAppBackend(ctx.values);
    const v = ctx.values;
    const name = ctx.positionals[0]!;
    const any = v.sync || v.health || v.operation || v.degraded;
    const conditions: WaitConditions = any
      ? { sync: !!v.sync, health: !!v.health, operation: !!v.operation, degraded: !!v.degraded }
      : { sync: true, health: true, operation: true };
    if (v.latest || v.revision !== undefined) {
      // Over a server the CLI has no repository access: only a commit id can be waited for there.
      const resolve = backend instanceof KubeBackend ? gitResolver(backend.kube) : undefined;
      conditions.revision = await wantedRevision(
        await backend.get(name),
        { latest: !!v.latest, revision: str(ctx, 'revision') },
        resolve,
      );
    }
    const app = await waitForApp(backend, name, conditions, timeout);
    if (format === 'json' || format === 'yaml') printData(app, format, ctx.out);
    else {
      const at = conditions.revision ? ` at ${(app.status?.sync?.revision ?? '').slice(0, 7)}` : '';
      ctx.out.write(
        `application "${app.metadata.name}": ${app.status?.sync?.status ?? 'Unknown'}, ${app.status?.health?.status ?? 'Unknown'}${at}\n`,
      );
    }
    return 0;
  },
};

/** `mooring app diff NAME`. */
const diffCommand: Command = {
  name: 'app diff',
  summary: 'Show what a sync would change (exit 1 when the cluster differs from Git)',
  usage: 'APPNAME',
  args: [1, 1],
  options: {
    revision: { type: 'string', help: 'compare with this revision instead of the target', valueName: 'REV' },
    'exit-code': { type: 'boolean', help: 'exit 1 on a difference (always on; for argocd compatibility)' },
    ...SERVER_OPTIONS,
  },
  examples: ['mooring app diff myapp-production', 'mooring app diff myapp-production --revision v1.4.3'],
  run: async (ctx) => {
    const backend = await openAppBackend(ctx.values);
    const app = await backend.get(ctx.positionals[0]!);
    const { differences, warnings } = await backend.diff(app, str(ctx, 'revision'));
    for (const w of warnings) ctx.err.write(`mooring: warning: ${w}\n`);
    ctx.out.write(formatDifferences(differences));
    return differences.length > 0 ? 1 : 0;
  },
};

/** `mooring app manifests NAME`. */
const manifestsCommand: Command = {
  name: 'app manifests',
  summary: "Print an Application's manifests: the live objects, or those rendered from Git",
  usage: 'APPNAME',
  args: [1, 1],
  options: {
    source: { type: 'string', help: 'live (default) or git', valueName: 'SOURCE' },
    revision: { type: 'string', help: 'with --source git: render this revision', valueName: 'REV' },
    'show-secrets': {
      type: 'boolean',
      help: "print Secret values as they are (masked otherwise; a server's API always masks them)",
    },
    ...SERVER_OPTIONS,
  },
  examples: ['mooring app manifests myapp-production', 'mooring app manifests myapp-production --source git'],
  run: async (ctx) => {
    const from = str(ctx, 'source') ?? 'live';
    if (from !== 'live' && from !== 'git') throw usageError(`invalid --source "${from}": use live or git`);
    const backend = await openAppBackend(ctx.values);
    const app = await backend.get(ctx.positionals[0]!);
    const objects = await backend.manifests(app, from, str(ctx, 'revision'));
    // Secret values stay off a shared terminal unless asked for, as the API masks them.
    const shown = ctx.values['show-secrets'] ? objects : objects.map((o) => maskSecrets(o).desired!);
    ctx.out.write(yamlDocuments(shown));
    return 0;
  },
};

/** `mooring app list|get|diff|manifests|history|wait`. */
export const appReadCommands: Command[] = [
  listCommand,
  getCommand,
  historyCommand,
  waitCommand,
  diffCommand,
  manifestsCommand,
];
