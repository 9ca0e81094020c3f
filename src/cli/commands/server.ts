import { errorMessage, jsonLogger, parseDuration, UserError } from '../../core/index.js';
import {
  configureKubeTransport,
  kubeTransportFromFlags,
  loadKubeConfig,
  watchNamespacesFlag,
} from '../../cluster/index.js';
import { Controller, shardingFromFlags } from '../../controller/index.js';
import { AuthService, startApiServer, throttleOptionsFromEnv, TrustedProxies } from '../../api/index.js';
import type { Command } from '../command.js';
import { str } from '../app/common.js';
import { apiOnlySharding } from '../server/api-only.js';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Waits for SIGINT or SIGTERM; resolves with its name. */
const signalled = () =>
  new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });

/**
 * `mooring server`: one process running the engine (the controller) and serving, on one port, the
 * REST API and event stream, the web UI, the controller's /metrics and /api/webhook, /healthz and /readyz.
 */
export const serverCommand: Command = {
  name: 'server',
  summary: 'Run the controller and serve the API, the web UI, webhooks and metrics on one port',
  options: {
    namespace: {
      type: 'string',
      help: 'control-plane namespace with Applications, AppProjects, repo/cluster Secrets and argocd-secret (default argocd)',
      valueName: 'NS',
    },
    'application-namespaces': {
      type: 'string',
      help: 'comma-separated globs of more namespaces whose Applications are managed and served',
      valueName: 'GLOBS',
    },
    'watch-namespaces': {
      type: 'string',
      help: 'namespaced mode: watch and manage only these namespaces of the in-cluster destination (no cluster-scoped kinds), and Applications namespace by namespace',
      valueName: 'NAMES',
    },
    port: {
      type: 'string',
      help: 'port of the API, UI, /metrics and /api/webhook (default 8080; 0 picks one)',
      valueName: 'N',
    },
    address: {
      type: 'string',
      help: 'address to listen on (default 0.0.0.0; 127.0.0.1 for local only)',
      valueName: 'ADDR',
    },
    url: {
      type: 'string',
      help: 'the external URL users reach the server at (shown in settings)',
      valueName: 'URL',
    },
    'ui-dir': {
      type: 'string',
      help: 'the built web UI (default dist/ui of this install)',
      valueName: 'DIR',
    },
    'poll-interval': {
      type: 'string',
      help: "how often each repository is fetched (default: argocd-cm's timeout.reconciliation, else 180s)",
      valueName: 'DURATION',
    },
    concurrency: { type: 'string', help: 'applications reconciled at once (default 8)', valueName: 'N' },
    'kube-qps': {
      type: 'string',
      help: "requests a second to each cluster's apiserver, 0 = no limit (default $ARGOCD_K8S_CLIENT_QPS, else 50, as Argo CD)",
      valueName: 'N',
    },
    'kube-burst': {
      type: 'string',
      help: 'requests allowed at once above --kube-qps (default $ARGOCD_K8S_CLIENT_BURST, else twice the QPS, as Argo CD)',
      valueName: 'N',
    },
    'kube-max-connections': {
      type: 'string',
      help: 'connections open at once to each cluster (default 32)',
      valueName: 'N',
    },
    'kube-request-timeout': {
      type: 'string',
      help: 'time limit of one API request other than a watch (default 60s)',
      valueName: 'DURATION',
    },
    'cache-dir': {
      type: 'string',
      help: 'git mirrors and checked-out trees (default ~/.cache/mooring/controller)',
      valueName: 'DIR',
    },
    'session-ttl': {
      type: 'string',
      help: 'lifetime of login sessions (default 24h)',
      valueName: 'DURATION',
    },
    'trusted-proxies': {
      type: 'string',
      help: 'proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For names the client; by default none',
      valueName: 'CIDRS',
    },
    'log-level': { type: 'string', help: 'debug, info, warn or error (default info)', valueName: 'LEVEL' },
    'allow-file-repos': { type: 'boolean', help: 'let repoURLs be file:// URLs (tests and demos only)' },
    'shard-by': {
      type: 'string',
      help: 'run as one of several replicas sharing the apps through Leases: app, or cluster (as Argo CD); unset: act on every app, no Lease',
      valueName: 'app|cluster',
    },
    'replica-id': {
      type: 'string',
      help: "this replica's id (default: $POD_NAME, else hostname-pid)",
      valueName: 'ID',
    },
    'lease-duration': {
      type: 'string',
      help: 'a replica that stopped renewing loses its apps after this (default 15s)',
      valueName: 'DURATION',
    },
    'renew-deadline': {
      type: 'string',
      help: 'a replica that could not renew for this long stops acting (default 10s)',
      valueName: 'DURATION',
    },
    'retry-period': {
      type: 'string',
      help: 'how often leases are renewed and read (default 2s)',
      valueName: 'DURATION',
    },
    'api-only': {
      type: 'boolean',
      help: "serve the API and UI only: reconcile nothing, hold no Lease, forward per-app views to the replica owning the app (give the controllers' --shard-by; default app)",
    },
  },
  examples: [
    'mooring server --kubeconfig .run/cluster-mooring/kubeconfig --port 8080',
    "mooring server --namespace argocd --application-namespaces 'team-*' --address 127.0.0.1",
    'kubectl -n argocd get secret argocd-initial-admin-secret -o jsonpath="{.data.password}" | base64 -d',
  ],
  run: async (ctx) => {
    const level = (str(ctx, 'log-level') ?? 'info') as (typeof LEVELS)[number];
    if (!LEVELS.includes(level))
      throw new UserError(`invalid --log-level "${level}": use debug, info, warn or error`);
    const port = Number(str(ctx, 'port') ?? '8080');
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UserError('--port must be a port number (0-65535)');
    const concurrency = Number(str(ctx, 'concurrency') ?? '8');
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new UserError('--concurrency must be a whole number of at least 1');
    const sessionTtlMs = parseDuration(str(ctx, 'session-ttl') ?? '24h');
    if (sessionTtlMs < 60_000) throw new UserError('--session-ttl must be at least 1m');
    const trustedProxies = str(ctx, 'trusted-proxies')?.split(',');
    let rateLimit;
    try {
      new TrustedProxies(trustedProxies);
      rateLimit = throttleOptionsFromEnv();
    } catch (err) {
      throw new UserError(errorMessage(err));
    }
    configureKubeTransport(
      kubeTransportFromFlags({
        'kube-qps': str(ctx, 'kube-qps'),
        'kube-burst': str(ctx, 'kube-burst'),
        'kube-max-connections': str(ctx, 'kube-max-connections'),
        'kube-request-timeout': str(ctx, 'kube-request-timeout'),
      }),
    );
    const namespace = str(ctx, 'namespace') ?? 'argocd';
    const applicationNamespaces = str(ctx, 'application-namespaces')?.split(',').filter(Boolean) ?? [];
    const watchNamespaces = watchNamespacesFlag(str(ctx, 'watch-namespaces'), applicationNamespaces);
    const logger = jsonLogger({ level, fields: { component: 'server' } });
    const controller = new Controller({
      kubeConfig: loadKubeConfig({ kubeconfig: str(ctx, 'kubeconfig'), context: str(ctx, 'context') }),
      namespace,
      applicationNamespaces,
      watchNamespaces,
      pollIntervalMs: str(ctx, 'poll-interval') ? parseDuration(str(ctx, 'poll-interval')!) : undefined,
      concurrency,
      cacheDir: str(ctx, 'cache-dir'),
      logger: logger.child({ component: 'controller' }),
      allowFileRepos: Boolean(ctx.values['allow-file-repos']),
      sharding: apiOnlySharding(
        Boolean(ctx.values['api-only']),
        shardingFromFlags({
          'shard-by': str(ctx, 'shard-by') ?? (ctx.values['api-only'] ? 'app' : undefined),
          'replica-id': str(ctx, 'replica-id'),
          'lease-duration': str(ctx, 'lease-duration'),
          'renew-deadline': str(ctx, 'renew-deadline'),
          'retry-period': str(ctx, 'retry-period'),
        }),
      ),
    });
    const stop = signalled();
    await controller.start();
    let server;
    try {
      server = await startApiServer({
        controller,
        auth: (projects) =>
          new AuthService({
            client: controller.client,
            namespace,
            projects,
            sessionTtlSeconds: Math.round(sessionTtlMs / 1000),
            rateLimit,
            logger: logger.child({ component: 'auth' }),
          }),
        port,
        address: str(ctx, 'address'),
        applicationNamespaces,
        uiDir: str(ctx, 'ui-dir'),
        url: str(ctx, 'url'),
        trustedProxies,
        logger,
      });
    } catch (err) {
      await controller.stop();
      throw err;
    }
    logger.info('mooring server ready', {
      url: server.url,
      adminPasswordCommand: `kubectl -n ${namespace} get secret argocd-initial-admin-secret -o jsonpath='{.data.password}' | base64 -d`,
    });
    logger.info('shutting down', { signal: await stop });
    await server.close();
    await controller.stop();
    return 0;
  },
};
