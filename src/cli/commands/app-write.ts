import { CliError, EXIT, usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { printData } from '../output.js';
import { fail, list, OUTPUT_OPTION, outputOf, sleep, str, timeoutOf, opPhase } from '../app/common.js';
import { appFromFile, appFromFlags } from '../app/create.js';
import { followOperation } from '../app/follow.js';
import { parseResource, SPEC_OPTIONS, TIMEOUT } from '../app/options.js';
import { setPatch } from '../app/set.js';
import type { SyncRequest } from '../app/backend.js';
import { ANNOTATIONS } from '../../core/index.js';
import { openAppBackend, SERVER_OPTIONS } from '../server/select.js';

const createCommand: Command = {
  name: 'app create',
  summary: 'Create an Application from flags or a manifest',
  usage: '[APPNAME]',
  args: [0, 1],
  options: {
    ...SPEC_OPTIONS,
    file: { type: 'string', short: 'f', help: 'an Application manifest (YAML or JSON)', valueName: 'FILE' },
    upsert: { type: 'boolean', help: 'update the app when it exists' },
    ...SERVER_OPTIONS,
  },
  examples: [
    'mooring app create myapp --repo https://git.example.com/myapp-config.git --path overlays/production \\\n      --dest-server https://kubernetes.default.svc --dest-namespace production --sync-policy automated --self-heal',
    'mooring app create -f argocd-application.yaml --upsert',
  ],
  run: async (ctx) => {
    const file = str(ctx, 'file');
    const nsFlag = str(ctx, 'app-namespace');
    let app;
    if (file) {
      app = await appFromFile(file);
      if (ctx.positionals[0]) app.metadata.name = ctx.positionals[0];
    } else {
      if (!ctx.positionals[0]) throw usageError('an APPNAME is required (or -f FILE)');
      app = appFromFlags(ctx, ctx.positionals[0], nsFlag ?? 'argocd');
    }
    // -n, else the manifest's namespace; kubeconfig defaults to argocd, the server to its own namespace.
    const ns = nsFlag ?? (file ? app.metadata.namespace : undefined);
    if (ns) app.metadata.namespace = ns;
    else delete app.metadata.namespace;
    const backend = await openAppBackend({ ...ctx.values, 'app-namespace': ns });
    const what = await backend.create(app, Boolean(ctx.values.upsert));
    ctx.out.write(`application "${app.metadata.name}" ${what}\n`);
    return 0;
  },
};

const syncCommand: Command = {
  name: 'app sync',
  summary: 'Sync an Application to its target revision and follow the operation',
  usage: 'APPNAME',
  args: [1, 1],
  options: {
    prune: { type: 'boolean', help: 'delete what Git no longer has' },
    'dry-run': { type: 'boolean', help: 'preview: dry-run every apply' },
    revision: { type: 'string', help: 'sync to this revision instead of the target', valueName: 'REV' },
    resource: {
      type: 'string',
      multiple: true,
      help: 'only this GROUP:KIND:NAMESPACE/NAME (repeatable)',
      valueName: 'RES',
    },
    'sync-option': SPEC_OPTIONS['sync-option']!,
    async: { type: 'boolean', help: 'do not wait for the operation to finish' },
    timeout: TIMEOUT,
    ...SERVER_OPTIONS,
  },
  examples: [
    'mooring app sync myapp-production',
    'mooring app sync myapp-production --prune --resource apps:Deployment:production/myapp',
    'mooring app sync myapp-production --revision v1.4.3 --dry-run',
  ],
  run: async (ctx) => {
    const timeoutMs = timeoutOf(ctx);
    const resources = list(ctx, 'resource').map(parseResource);
    const backend = await openAppBackend(ctx.values);
    const name = ctx.positionals[0]!;
    const app = await backend.get(name);
    const sync: SyncRequest = {};
    if (ctx.values.prune) sync.prune = true;
    if (ctx.values['dry-run']) sync.dryRun = true;
    if (str(ctx, 'revision')) sync.revision = str(ctx, 'revision');
    if (resources.length) sync.resources = resources;
    if (list(ctx, 'sync-option').length) sync.syncOptions = list(ctx, 'sync-option');
    const before = await backend.sync(app, sync);
    if (ctx.values.async) {
      ctx.out.write(`sync of application "${name}" requested\n`);
      return 0;
    }
    return followOperation(backend, name, before, { out: ctx.out, err: ctx.err, timeoutMs });
  },
};

const rollbackCommand: Command = {
  name: 'app rollback',
  summary: 'Sync an Application to a revision of its history, turning automated sync off',
  usage: 'APPNAME [ID]',
  args: [1, 2],
  options: {
    prune: { type: 'boolean', help: 'delete what the old revision does not have' },
    async: { type: 'boolean', help: 'do not wait for the operation to finish' },
    timeout: TIMEOUT,
    ...SERVER_OPTIONS,
  },
  examples: ['mooring app history myapp-production', 'mooring app rollback myapp-production 3'],
  run: async (ctx) => {
    const timeoutMs = timeoutOf(ctx);
    const [name, idText] = ctx.positionals as [string, string | undefined];
    if (idText !== undefined && !/^\d+$/.test(idText))
      throw usageError(`invalid history ID "${idText}": use a number from 'mooring app history ${name}'`);
    const backend = await openAppBackend(ctx.values);
    const app = await backend.get(name);
    const history = app.status?.history ?? [];
    // Without an ID, the entry before the current one (argocd's default).
    const entry = idText === undefined ? history.at(-2) : history.find((h) => h.id === Number(idText));
    if (!entry) {
      throw new CliError(
        `application "${name}" has no history entry ${idText ?? 'before the current one'}: see 'mooring app history ${name}'`,
        EXIT.notFound,
      );
    }
    const before = await backend.rollback(app, entry, Boolean(ctx.values.prune));
    ctx.out.write(
      `rolling back application "${name}" to ${entry.id} (${entry.revision.slice(0, 7)}); automated sync is off\n`,
    );
    if (ctx.values.async) return 0;
    return followOperation(backend, name, before, { out: ctx.out, err: ctx.err, timeoutMs });
  },
};

const setCommand: Command = {
  name: 'app set',
  summary: "Change an Application's spec",
  usage: 'APPNAME',
  args: [1, 1],
  options: {
    ...SPEC_OPTIONS,
    'kustomize-image': {
      type: 'string',
      multiple: true,
      help: 'a kustomize image override, e.g. myapp=registry/myapp:v2 (repeatable)',
      valueName: 'IMG',
    },
    ...SERVER_OPTIONS,
  },
  examples: [
    'mooring app set myapp-production --revision v1.4.3',
    'mooring app set myapp-production --sync-policy none',
    'mooring app set myapp-production --kustomize-image registry.example.com/myapp:v1.4.3',
  ],
  run: async (ctx) => {
    const backend = await openAppBackend(ctx.values);
    const app = await backend.get(ctx.positionals[0]!);
    await backend.patch(app.metadata.name!, setPatch(ctx, app));
    ctx.out.write(`application "${app.metadata.name}" updated\n`);
    return 0;
  },
};

const refreshCommand: Command = {
  name: 'app refresh',
  summary: 'Ask the controller to compare an Application with Git now, and wait until it did',
  usage: 'APPNAME',
  args: [1, 1],
  options: {
    ...OUTPUT_OPTION,
    hard: { type: 'boolean', help: 'also drop the cached render' },
    timeout: { ...TIMEOUT, help: 'give up after this long (default 2m)' },
    ...SERVER_OPTIONS,
  },
  examples: ['mooring app refresh myapp-production', 'mooring app refresh myapp-production --hard'],
  run: async (ctx) => {
    const format = outputOf(ctx);
    const timeoutMs = timeoutOf(ctx, '2m')!;
    const backend = await openAppBackend(ctx.values);
    const name = ctx.positionals[0]!;
    await backend.get(name);
    await backend.refresh(name, Boolean(ctx.values.hard));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const app = await backend.get(name);
      if (!app.metadata.annotations?.[ANNOTATIONS.refresh]) {
        if (format === 'json' || format === 'yaml') printData(app, format, ctx.out);
        else
          ctx.out.write(
            `application "${name}" refreshed: ${app.status?.sync?.status ?? 'Unknown'}, ${app.status?.health?.status ?? 'Unknown'}\n`,
          );
        return 0;
      }
      if (Date.now() >= deadline)
        throw fail(
          `timed out after ${Math.round(timeoutMs / 1000)}s waiting for the controller to refresh application "${name}": is it running and watching namespace ${app.metadata.namespace ?? backend.appNamespace}?`,
        );
      await sleep(500);
    }
  },
};

const terminateCommand: Command = {
  name: 'app terminate-op',
  summary: "Stop an Application's running sync",
  usage: 'APPNAME',
  args: [1, 1],
  options: { ...SERVER_OPTIONS },
  examples: ['mooring app terminate-op myapp-production'],
  run: async (ctx) => {
    const backend = await openAppBackend(ctx.values);
    const name = ctx.positionals[0]!;
    const app = await backend.get(name);
    if (opPhase(app) !== 'Running') throw fail(`no operation is running for application "${name}"`);
    await backend.terminate(name);
    ctx.out.write(`application "${name}": operation terminating\n`);
    return 0;
  },
};

const deleteCommand: Command = {
  name: 'app delete',
  summary: 'Delete an Application and (by default) the resources it deployed',
  usage: 'APPNAME',
  args: [1, 1],
  options: {
    cascade: {
      type: 'string',
      help: 'true (default): also delete its resources; false: leave them',
      valueName: 'BOOL',
    },
    yes: { type: 'boolean', short: 'y', help: 'do not ask (mooring never asks; for argocd compatibility)' },
    ...SERVER_OPTIONS,
  },
  examples: ['mooring app delete myapp-staging', 'mooring app delete myapp-staging --cascade=false'],
  run: async (ctx) => {
    const c = str(ctx, 'cascade') ?? 'true';
    if (c !== 'true' && c !== 'false') throw usageError(`invalid --cascade "${c}": use true or false`);
    const backend = await openAppBackend(ctx.values);
    const name = ctx.positionals[0]!;
    const app = await backend.get(name);
    const { deleted, kept } = await backend.delete(app, c === 'true');
    ctx.out.write(`application "${name}" deleted\n`);
    for (const d of deleted) ctx.out.write(`deleted ${d}\n`);
    for (const k of kept) ctx.out.write(`kept ${k}: no longer tracked by this application\n`);
    return 0;
  },
};

/** `mooring app create|sync|rollback|set|refresh|terminate-op|delete`. */
export const appWriteCommands: Command[] = [
  createCommand,
  syncCommand,
  rollbackCommand,
  setCommand,
  refreshCommand,
  terminateCommand,
  deleteCommand,
];
