// `mooring app list` in a module of its own: it loads only what listing needs (no diff, render or
// cluster client modules), so the command most often run is the quickest.
import type { Command } from '../command.js';
import { printData } from '../output.js';
import { appListTable } from '../app/format.js';
import { listApps } from '../app/list.js';
import { OUTPUT_OPTION, outputOf, str } from '../app/options.js';
import { SERVER_OPTIONS } from '../server/select.js';

/** `mooring app list`. */
export const listCommand: Command = {
  name: 'app list',
  summary: 'List the Applications of the app namespace',
  args: [0, 0],
  options: {
    ...OUTPUT_OPTION,
    project: { type: 'string', short: 'p', help: 'only apps of this project', valueName: 'NAME' },
    ...SERVER_OPTIONS,
  },
  examples: ['mooring app list', 'mooring app list -o wide', 'mooring app list -n team-a -o json'],
  run: async (ctx) => {
    const format = outputOf(ctx, ['table', 'wide', 'json', 'yaml', 'name']);
    const project = str(ctx, 'project');
    const apps = (await listApps(ctx.values))
      .filter((a) => !project || (a.spec.project || 'default') === project)
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    if (format === 'json' || format === 'yaml') printData(apps, format, ctx.out);
    else if (format === 'name') ctx.out.write(apps.map((a) => `${a.metadata.name}\n`).join(''));
    else ctx.out.write(appListTable(apps, format === 'wide', ctx.out));
    return 0;
  },
};
