import type { Application, KubeObject } from '../../core/index.js';
import {
  BUILTIN_TEMPLATES,
  BUILTIN_TRIGGERS,
  NOTIFICATIONS_CONFIGMAP,
  NOTIFICATIONS_SECRET,
  deliver,
  parseNotificationsConfig,
  renderNotification,
  type Notification,
  type NotificationsConfig,
  type SecretData,
} from '../../notify/index.js';
import { CliError, EXIT, usageError } from '../cli-error.js';
import type { Command, CommandContext, OptionSpec } from '../command.js';
import { connect, explain, getApplication, type Kube } from '../kube.js';
import { printData, table } from '../output.js';

const CONFIG_NS: Record<string, OptionSpec> = {
  'config-namespace': {
    type: 'string',
    help: `namespace of ${NOTIFICATIONS_CONFIGMAP} and ${NOTIFICATIONS_SECRET} (default: the app namespace)`,
    valueName: 'NS',
  },
};

/** Reads and parses the notifications ConfigMap and Secret; exit 3 when the ConfigMap is missing. */
async function loadConfig(
  kube: Kube,
  values: CommandContext['values'],
): Promise<{ config: NotificationsConfig; keys: Set<string> }> {
  const namespace = (values['config-namespace'] as string | undefined) ?? kube.appNamespace;
  const get = async (kind: string, name: string) => {
    try {
      return await kube.writer.get({ group: '', kind, namespace, name });
    } catch (err) {
      throw explain(err, kube);
    }
  };
  const cm = (await get('ConfigMap', NOTIFICATIONS_CONFIGMAP)) as
    (KubeObject & { data?: Record<string, string> }) | undefined;
  if (!cm) {
    throw new CliError(
      `ConfigMap ${NOTIFICATIONS_CONFIGMAP} not found in namespace ${namespace}`,
      EXIT.notFound,
    );
  }
  const secret = (await get('Secret', NOTIFICATIONS_SECRET)) as (KubeObject & SecretData) | undefined;
  return { config: parseNotificationsConfig(cm.data, secret), keys: new Set(Object.keys(cm.data ?? {})) };
}

/** A made-up Application, synced and healthy, for checking a configuration without a real one. */
export function sampleApp(namespace: string): Application {
  const revision = '0123456789abcdef0123456789abcdef01234567';
  const now = new Date().toISOString();
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'sample-app', namespace, labels: {}, annotations: {} },
    spec: {
      project: 'default',
      source: { repoURL: 'https://git.example.com/sample/config.git', targetRevision: 'main', path: '.' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'sample' },
    },
    status: {
      sync: { status: 'Synced', revision },
      health: { status: 'Healthy' },
      reconciledAt: now,
      operationState: {
        phase: 'Succeeded',
        message: 'successfully synced (sample)',
        startedAt: now,
        finishedAt: now,
        syncResult: { revision },
      },
    },
  } as Application;
}

/** `mooring notifications test`: renders a trigger's templates for one service and sends them once. */
export const notificationsTestCommand: Command = {
  name: 'notifications test',
  summary: 'Send a sample notification through a configured service, to check the configuration',
  options: {
    trigger: {
      type: 'string',
      help: 'trigger whose templates to send (e.g. on-sync-succeeded)',
      valueName: 'NAME',
    },
    service: {
      type: 'string',
      help: 'service name as in the ConfigMap: slack, email, or TYPE:NAME (webhook:myhook) for service.TYPE.NAME',
      valueName: 'SERVICE',
    },
    recipient: {
      type: 'string',
      help: 'channel, address or Teams recipient (webhooks need none)',
      valueName: 'TO',
    },
    app: { type: 'string', help: 'render with this Application instead of a sample one', valueName: 'NAME' },
    'dry-run': { type: 'boolean', help: 'print what would be sent, send nothing' },
    ...CONFIG_NS,
  },
  args: [0, 0],
  examples: [
    'mooring notifications test --trigger on-sync-succeeded --service webhook:myhook',
    'mooring notifications test --trigger on-deployed --service slack --recipient deploys --app myapp-production',
    'mooring notifications test --trigger on-drift-detected --service email --recipient ops@example.com --dry-run',
  ],
  run: async (ctx) => {
    const triggerName = ctx.values.trigger as string | undefined;
    const serviceArg = ctx.values.service as string | undefined;
    if (!triggerName || !serviceArg) throw usageError('--trigger and --service are required');
    const kube = connect(ctx.values);
    const { config } = await loadConfig(kube, ctx.values);
    const colon = serviceArg.indexOf(':');
    const name = colon < 0 ? serviceArg : serviceArg.slice(colon + 1);
    const service = config.services.get(name);
    if (!service || (colon >= 0 && service.type !== serviceArg.slice(0, colon))) {
      const known = [...config.services.values()].map((s) =>
        s.type === s.name ? s.name : `${s.type}:${s.name}`,
      );
      throw new CliError(
        `service "${serviceArg}" is not configured in ${NOTIFICATIONS_CONFIGMAP}${known.length ? ` (configured: ${known.join(', ')})` : ''}`,
        EXIT.notFound,
      );
    }
    const trigger = config.triggers.get(triggerName);
    if (!trigger) throw new CliError(`trigger "${triggerName}" is not configured`, EXIT.notFound);
    if (trigger.error)
      throw new CliError(`trigger "${triggerName}" is invalid: ${trigger.error}`, EXIT.usage);
    const app = ctx.values.app
      ? await getApplication(kube, ctx.values.app as string)
      : sampleApp(kube.appNamespace);
    const recipient = (ctx.values.recipient as string | undefined) ?? '';
    const templates = [...new Set(trigger.conditions.flatMap((c) => c.send))];
    const notifications: Notification[] = templates.map((t) => {
      const template = config.templates.get(t);
      if (!template)
        throw new CliError(`template "${t}" of trigger ${triggerName} is not configured`, EXIT.usage);
      try {
        return {
          app: { namespace: app.metadata.namespace ?? '', name: app.metadata.name ?? '' },
          trigger: triggerName,
          service: service.name,
          serviceType: service.type,
          recipient,
          template: t,
          ...renderNotification(template, service, { app, context: config.context, recipient }),
          key: `test:${triggerName}:${t}:${Date.now()}`,
        };
      } catch (err) {
        throw new CliError(`template "${t}": ${(err as Error).message}`, EXIT.usage);
      }
    });
    if (ctx.values['dry-run']) {
      printData(
        notifications.map(({ key: _k, ...n }) => n),
        'yaml',
        ctx.out,
      );
      return 0;
    }
    let failed = 0;
    for (const n of notifications) {
      const result = await deliver(n, service, { retry: { retryMax: 0 } });
      if (result.ok)
        ctx.out.write(
          `sent ${n.template} (${triggerName}) via ${serviceArg}${recipient ? ` to ${recipient}` : ''}\n`,
        );
      else {
        failed++;
        ctx.err.write(`mooring: ${n.template} via ${serviceArg} failed: ${result.error}\n`);
      }
    }
    return failed ? EXIT.failure : 0;
  },
};

/** `mooring notifications list`: services, triggers and templates as the controller sees them. */
export const notificationsListCommand: Command = {
  name: 'notifications list',
  summary: 'List the configured notification services, triggers and templates',
  options: {
    output: { type: 'string', short: 'o', help: 'table, json or yaml', valueName: 'FORMAT' },
    ...CONFIG_NS,
  },
  args: [0, 0],
  examples: ['mooring notifications list', 'mooring notifications list -o yaml'],
  run: async (ctx) => {
    const kube = connect(ctx.values);
    const { config, keys } = await loadConfig(kube, ctx.values);
    const source = (kind: string, name: string, builtin: boolean) =>
      keys.has(`${kind}.${name}`) ? (builtin ? 'ConfigMap (replaces built-in)' : 'ConfigMap') : 'built-in';
    const data = {
      // Types and names only: settings hold credentials.
      services: [...config.services.values()].map((s) => ({ name: s.name, type: s.type })),
      triggers: [...config.triggers.values()].map((t) => ({
        name: t.name,
        source: source('trigger', t.name, Object.hasOwn(BUILTIN_TRIGGERS, t.name)),
        templates: [...new Set(t.conditions.flatMap((c) => c.send))],
        ...(t.error ? { error: t.error } : {}),
      })),
      templates: [...config.templates.keys()].map((name) => ({
        name,
        source: source('template', name, Object.hasOwn(BUILTIN_TEMPLATES, name)),
      })),
      defaultTriggers: config.defaultTriggers,
      errors: config.errors,
    };
    const format = ctx.values.output as string | undefined;
    if (format === 'json' || format === 'yaml') {
      printData(data, format, ctx.out);
      return 0;
    }
    if (format && format !== 'table')
      throw usageError(`invalid --output "${format}": use table, json or yaml`);
    ctx.out.write(
      table(
        ['SERVICE', 'TYPE'],
        data.services.map((s) => [s.name, s.type]),
      ),
    );
    ctx.out.write('\n');
    ctx.out.write(
      table(
        ['TRIGGER', 'TEMPLATES', 'SOURCE'],
        data.triggers.map((t) => [
          t.name,
          t.error ? `invalid: ${t.error}` : t.templates.join(', '),
          t.source,
        ]),
      ),
    );
    ctx.out.write('\n');
    ctx.out.write(
      table(
        ['TEMPLATE', 'SOURCE'],
        data.templates.map((t) => [t.name, t.source]),
      ),
    );
    if (data.errors.length)
      ctx.out.write(`\nUnusable entries:\n${data.errors.map((e) => `  ${e}`).join('\n')}\n`);
    return data.errors.length ? EXIT.failure : 0;
  },
};

/** The `mooring notifications` commands. */
export const notificationsCommands: Command[] = [notificationsTestCommand, notificationsListCommand];
