import { parseArgs } from 'node:util';
import { jsonLogger, parseDuration, UserError } from '../core/index.js';
import {
  configureKubeTransport,
  KUBE_CLIENT_FLAGS,
  KUBE_CLIENT_FLAGS_HELP,
  kubeTransportFromFlags,
  loadKubeConfig,
  watchNamespacesFlag,
} from '../cluster/index.js';
import {
  Controller,
  SHARDING_FLAGS,
  SHARDING_FLAGS_HELP,
  shardingFromFlags,
  startHealthServer,
  type ControllerOptions,
} from '../controller/index.js';
import { parseByteSize, type ToolLimits } from '../render/index.js';

/** Help text of `mooring controller`. */
export const CONTROLLER_HELP = `Run the Mooring controller: watch Applications, pull from Git, compare with the cluster.

Usage: mooring controller [flags]

Flags:
  --kubeconfig PATH              kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster config)
  --context NAME                 kubeconfig context
  --namespace NS                 control-plane namespace with Applications, AppProjects and repo/cluster Secrets (default argocd)
  --application-namespaces GLOBS comma-separated globs of more namespaces whose Applications are managed
  --watch-namespaces NAMES       namespaced mode: watch and manage only these namespaces of the in-cluster
                                 destination (no cluster-scoped kinds), and Applications namespace by namespace
  --poll-interval DURATION       how often each repository is fetched (default: argocd-cm's timeout.reconciliation, else 180s)
  --concurrency N                applications reconciled at once (default 8)
  --port N                       port of /healthz, /readyz, /metrics and /api/webhook (default 8080; 0 picks a free one)
  --cache-dir DIR                git mirrors and checked-out trees (default ~/.cache/mooring/controller)
  --log-level LEVEL              debug, info, warn or error (default info)
  --notifications=false          do not send the notifications of argocd-notifications-cm (default true)
  --max-manifest-bytes SIZE      manifests one app's render may read or a tool may print (default 32Mi)
  --max-manifest-documents N     objects one app's render may produce (default 10000)
  --max-object-bytes SIZE        size of one object; larger ones are refused before anything is applied (default 1.5Mi)
  --render-memory-limit SIZE     memory each kustomize or helm run may use (default 512Mi)
  --render-cpu-limit DURATION    CPU time each kustomize or helm run may use (default 60s)
${SHARDING_FLAGS_HELP}${KUBE_CLIENT_FLAGS_HELP}
Examples:
  mooring controller --kubeconfig .run/cluster-mooring/kubeconfig
  mooring controller --namespace argocd --application-namespaces 'team-*' --poll-interval 60s
`;

/** The caps of --render-memory-limit and --render-cpu-limit; absent flags keep the defaults. */
function renderToolLimits(memory: string | undefined, cpu: string | undefined): ToolLimits {
  const limits: ToolLimits = {};
  if (memory !== undefined) limits.memoryBytes = parseByteSize(memory, '--render-memory-limit');
  if (cpu !== undefined) {
    const ms = parseDuration(cpu);
    if (ms < 1000) throw new UserError('--render-cpu-limit must be at least 1s');
    limits.cpuSeconds = ms / 1000;
  }
  return limits;
}

/** `mooring controller`: runs until SIGINT/SIGTERM, then shuts down gracefully. */
export async function runController(
  argv: string[],
  overrides: Partial<ControllerOptions> = {},
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', default: 'argocd' },
      'application-namespaces': { type: 'string' },
      'watch-namespaces': { type: 'string' },
      'poll-interval': { type: 'string' },
      concurrency: { type: 'string', default: '8' },
      port: { type: 'string', default: '8080' },
      'cache-dir': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'allow-file-repos': { type: 'boolean', default: false },
      'max-manifest-bytes': { type: 'string' },
      'max-manifest-documents': { type: 'string' },
      'max-object-bytes': { type: 'string' },
      'render-memory-limit': { type: 'string' },
      'render-cpu-limit': { type: 'string' },
      ...SHARDING_FLAGS,
      ...KUBE_CLIENT_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(CONTROLLER_HELP);
    return 0;
  }
  const level = values['log-level'] as 'debug' | 'info' | 'warn' | 'error';
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    throw new UserError(`invalid --log-level "${level}": use debug, info, warn or error`);
  }
  const logger = jsonLogger({ level, fields: { component: 'controller' } });
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UserError('--concurrency must be a whole number of at least 1');
  // Unset: argocd-cm's timeout.reconciliation, else 180s (the flag wins when given, as in Argo CD).
  const pollIntervalMs = values['poll-interval'] ? parseDuration(values['poll-interval']) : undefined;
  const maxDocuments = values['max-manifest-documents'];
  if (maxDocuments !== undefined && !/^[1-9]\d*$/.test(maxDocuments))
    throw new UserError('--max-manifest-documents must be a whole number of at least 1');
  const size = (flag: 'max-manifest-bytes' | 'max-object-bytes') => {
    const v = values[flag];
    return v === undefined ? undefined : parseByteSize(v, `--${flag}`);
  };
  const renderLimits = {
    maxManifestBytes: size('max-manifest-bytes'),
    maxManifestDocuments: maxDocuments === undefined ? undefined : Number(maxDocuments),
    maxObjectBytes: size('max-object-bytes'),
  };
  const toolLimits = renderToolLimits(values['render-memory-limit'], values['render-cpu-limit']);
  // Process-wide: every cluster client made from here on shares these limits (per cluster).
  configureKubeTransport(kubeTransportFromFlags(values));
  const applicationNamespaces = values['application-namespaces']?.split(',').filter(Boolean);
  const watchNamespaces = watchNamespacesFlag(values['watch-namespaces'], applicationNamespaces ?? []);
  const controller = new Controller({
    kubeConfig: loadKubeConfig({ kubeconfig: values.kubeconfig, context: values.context }),
    namespace: values.namespace,
    applicationNamespaces,
    watchNamespaces,
    pollIntervalMs,
    concurrency,
    cacheDir: values['cache-dir'],
    logger,
    allowFileRepos: values['allow-file-repos'],
    renderLimits,
    renderToolLimits: toolLimits,
    sharding: shardingFromFlags(values),
    ...overrides,
  });
  const health = await startHealthServer({
    port: Number(values.port),
    ready: () => controller.ready,
    routes: controller.routes(),
  });
  logger.info('serving probes', { port: health.port });
  let stopping = false;
  const done = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info('shutting down', { signal });
      void controller
        .stop()
        .then(() => health.close())
        .then(resolve);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  try {
    await controller.start();
  } catch (err) {
    await controller.stop();
    await health.close();
    throw err;
  }
  await done;
  return 0;
}
