import type { Application } from '../core/index.js';
import type { Logger, Registry } from '../core/index.js';
import type { RouteHandler } from './health-server.js';
import { appSources } from './multi-source.js';
import { metricsRoute, webhookRoute } from './http-routes.js';
import type { ControllerMetrics } from './metrics.js';
import type { WebhookSecretsWatch } from './webhook-secrets.js';

/** The HTTP routes the controller serves beside its probes: /metrics and /api/webhook. */
export function controllerRoutes(deps: {
  registry: Registry;
  metrics: ControllerMetrics;
  /** argocd-secret's webhook secrets, from a watch. */
  webhookSecrets: WebhookSecretsWatch;
  logger?: Logger;
  applications: () => Application[];
  /** A webhook said these apps' repository changed. */
  refresh: (repoURL: string, appKeys: string[]) => void;
  /** ApplicationSets whose git generators a push may concern (keys `appset:ns/name`). */
  appSets?: {
    webhookTargets: () => { key: string; repoURL: string; targetRevision?: string }[];
    refresh: (keys: string[]) => void;
  };
}): RouteHandler[] {
  return [
    metricsRoute(deps.registry),
    webhookRoute({
      metrics: deps.metrics,
      secrets: () => deps.webhookSecrets.current(),
      logger: deps.logger,
      apps: () => [
        // Every source of an app (a push to a multi-source app's values repository refreshes it too).
        ...deps.applications().flatMap((a) =>
          appSources(a.spec)
            .filter((s) => s?.repoURL)
            .map((s) => ({
              key: `${a.metadata.namespace}/${a.metadata.name}`,
              repoURL: s.repoURL,
              targetRevision: s.targetRevision,
            })),
        ),
        ...(deps.appSets?.webhookTargets() ?? []),
      ],
      refresh: (repoURL, keys) => {
        const sets = keys.filter((k) => k.startsWith('appset:'));
        if (sets.length) deps.appSets?.refresh(sets);
        const apps = keys.filter((k) => !k.startsWith('appset:'));
        if (apps.length) deps.refresh(repoURL, apps);
      },
    }),
  ];
}
