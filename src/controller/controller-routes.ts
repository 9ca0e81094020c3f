import type { Application, ApplicationSource } from '../core/index.js';
import { manifestGeneratePaths, MANIFEST_GENERATE_PATHS } from '../source/index.js';
import type { Logger, Registry } from '../core/index.js';
import type { RouteHandler } from './health-server.js';
import { appSources } from './multi-source.js';
import { metricsRoute, webhookRoute } from './http-routes.js';
import type { ControllerMetrics } from './metrics.js';
import type { WebhookSecretsWatch } from './webhook-secrets.js';

/**
 * How long after a push the apps it did not change are refreshed: time for the changed apps' passes (and
 * their syncs) to start first, so one changed app of a 1,000-app monorepo is not behind 999 others.
 */
export const UNCHANGED_APPS_DELAY_MS = 2_000;

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
  /** The paths a source's render read at its last render (see SourceFetch.inputPaths). */
  inputPaths?: (source: ApplicationSource) => readonly string[] | undefined;
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
              inputPaths: deps.inputPaths?.(s),
              generatePaths: manifestGeneratePaths(a.metadata.annotations?.[MANIFEST_GENERATE_PATHS], s.path),
            })),
        ),
        ...(deps.appSets?.webhookTargets() ?? []),
      ],
      refresh: (repoURL, keys, later = []) => {
        const sets = [...keys, ...later].filter((k) => k.startsWith('appset:'));
        if (sets.length) deps.appSets?.refresh(sets);
        const apps = keys.filter((k) => !k.startsWith('appset:'));
        if (apps.length) deps.refresh(repoURL, apps);
        // Apps the push did not change only move to the new revision: after the changed apps' passes.
        const rest = later.filter((k) => !k.startsWith('appset:'));
        if (rest.length) setTimeout(() => deps.refresh(repoURL, rest), UNCHANGED_APPS_DELAY_MS).unref();
      },
    }),
  ];
}
