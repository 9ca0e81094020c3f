import type { Command } from '../command.js';
import { printData } from '../output.js';
import { OUTPUT_OPTION, outputOf, str } from '../app/common.js';
import { appSetDetails, appSetListTable } from '../app-set/format.js';
import { appSetsFromFile } from '../app-set/kube-appsets.js';
import { openAppSetBackend } from '../app-set/backend.js';
import { SERVER_OPTIONS } from '../server/select.js';
import { usageError } from '../cli-error.js';

// `mooring appset …` talks to a mooring server when logged in (its RBAC applies; sets live in its
// namespace), else straight to Kubernetes through kubeconfig, as `argocd appset --core` (-n applies).

/** `mooring appset list`. */
const listCommand: Command = {
  name: 'appset list',
  summary: 'List the ApplicationSets of the app namespace',
  args: [0, 0],
  options: { ...OUTPUT_OPTION, ...SERVER_OPTIONS },
  examples: ['mooring appset list', 'mooring appset list -n argocd -o yaml'],
  run: async (ctx) => {
    const format = outputOf(ctx, ['table', 'json', 'yaml', 'name']);
    const sets = await (await openAppSetBackend(ctx.values)).list();
    if (format === 'json' || format === 'yaml') printData(sets, format, ctx.out);
    else if (format === 'name') ctx.out.write(sets.map((s) => `${s.metadata.name}\n`).join(''));
    else ctx.out.write(appSetListTable(sets, ctx.out));
    return 0;
  },
};

/** `mooring appset get NAME`. */
const getCommand: Command = {
  name: 'appset get',
  summary: "Show an ApplicationSet's conditions and Applications (and RollingSync steps)",
  usage: 'APPSETNAME',
  args: [1, 1],
  options: { ...OUTPUT_OPTION, ...SERVER_OPTIONS },
  examples: ['mooring appset get myapp', 'mooring appset get myapp -o json'],
  run: async (ctx) => {
    const format = outputOf(ctx, ['table', 'json', 'yaml']);
    const set = await (await openAppSetBackend(ctx.values)).get(ctx.positionals[0]!);
    if (format === 'json' || format === 'yaml') printData(set, format, ctx.out);
    else ctx.out.write(appSetDetails(set, ctx.out));
    return 0;
  },
};

/** `mooring appset create -f FILE`. */
const createCommand: Command = {
  name: 'appset create',
  summary: 'Create the ApplicationSets of a manifest file',
  usage: '-f FILE',
  args: [0, 1],
  options: {
    file: { type: 'string', short: 'f', help: 'ApplicationSet manifests (YAML or JSON)', valueName: 'FILE' },
    upsert: { type: 'boolean', help: 'replace the spec of a set that exists with another spec' },
    ...SERVER_OPTIONS,
  },
  examples: [
    'mooring appset create -f examples/appset/myapp-environments.yaml',
    'mooring appset create --upsert set.yaml',
  ],
  run: async (ctx) => {
    const file = str(ctx, 'file') ?? ctx.positionals[0];
    if (!file) throw usageError('give the manifest file: mooring appset create -f FILE');
    const sets = await appSetsFromFile(file);
    const backend = await openAppSetBackend(ctx.values);
    for (const set of sets) {
      const what = await backend.create(set, !!ctx.values.upsert);
      ctx.out.write(`applicationset '${set.metadata.name}' ${what}\n`);
    }
    return 0;
  },
};

/** `mooring appset delete NAME`. */
const deleteCommand: Command = {
  name: 'appset delete',
  summary: 'Delete an ApplicationSet and the Applications it generated',
  usage: 'APPSETNAME',
  args: [1, 1],
  options: {
    yes: { type: 'boolean', short: 'y', help: 'do not ask (mooring never asks; for argocd compatibility)' },
    ...SERVER_OPTIONS,
  },
  examples: ['mooring appset delete myapp'],
  run: async (ctx) => {
    const name = ctx.positionals[0]!;
    await (await openAppSetBackend(ctx.values)).delete(name);
    ctx.out.write(`applicationset '${name}' deleted\n`);
    return 0;
  },
};

/** The `mooring appset` commands. */
export const appSetCommands: Command[] = [listCommand, getCommand, createCommand, deleteCommand];
