import { errorMessage, type KubeObject, type Logger } from '../core/index.js';
import { Informer, type ApiResource, type CacheSettings, type KubeClient } from '../cluster/index.js';
import { customHealth, loadLuaRuntime, type CustomHealth, type LuaLimits } from '../health/index.js';
import {
  ARGOCD_CM,
  DEFAULT_SETTINGS,
  isExcludedResource,
  parseArgoCDSettings,
  type ArgoCDSettings,
} from './argocd-settings.js';

const CONFIGMAP: ApiResource = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
  verbs: ['list', 'watch'],
};

/** Options of the argocd-cm watch. */
export interface SettingsWatchOptions {
  client: KubeClient;
  /** The controller's namespace, where argocd-cm lives. */
  namespace: string;
  logger: Logger;
  /** Budgets of each Lua health script call. */
  luaLimits?: LuaLimits;
  /** Called after new settings took effect (not for the first load). */
  onChange?: (settings: ArgoCDSettings) => void;
}

/**
 * Watches argocd-cm and keeps its settings current: a change applies without a restart, and a value
 * that cannot be used is logged once (one line naming the key) and ignored, never fatal.
 */
export class SettingsWatch {
  private informer?: Informer;
  private value: ArgoCDSettings = DEFAULT_SETTINGS;
  private health?: CustomHealth;
  private applied: Promise<void> = Promise.resolve();
  private lastData = '';
  private reported = new Set<string>();

  constructor(private readonly opts: SettingsWatchOptions) {}

  /** The settings in force. */
  get current(): ArgoCDSettings {
    return this.value;
  }

  /** Lists argocd-cm, applies it, then follows its changes. */
  async start(): Promise<void> {
    this.informer = new Informer(this.opts.client, {
      resource: CONFIGMAP,
      namespace: this.opts.namespace,
      fieldSelector: `metadata.name=${ARGOCD_CM}`,
      logger: this.opts.logger,
    });
    let first = true;
    this.informer.onEvent(() => {
      if (!first) this.schedule(true);
    });
    this.informer.start();
    const refused = await Promise.race([this.informer.synced.then(() => undefined), this.informer.refused]);
    if (refused) {
      // No RBAC on ConfigMaps here: run on Argo CD's defaults rather than not at all.
      this.informer.stop();
      this.opts.logger.warn(
        `cannot read ConfigMap ${ARGOCD_CM} in ${this.opts.namespace}: ${refused.message}; running with Argo CD's default settings`,
      );
      return;
    }
    first = false;
    this.schedule(false);
    await this.applied;
  }

  stop(): void {
    this.informer?.stop();
  }

  /** What the cluster cache of the cluster `server` needs from the settings. */
  cacheSettings(server: string): CacheSettings {
    const s = this.value;
    return {
      tracking: { method: s.trackingMethod, labelKey: s.instanceLabelKey },
      excluded:
        s.exclusions.length || s.inclusions.length
          ? (group, kind) => isExcludedResource(s, group, kind, server)
          : undefined,
      healthOverride: this.health,
      ignoreDifferences: s.ignoreDifferences,
    };
  }

  // Changes are applied one after another, each from the ConfigMap as it is then.
  private schedule(notify: boolean): void {
    this.applied = this.applied
      .then(() => this.apply(notify))
      .catch((err: unknown) =>
        this.opts.logger.error('argocd-cm settings not applied', { error: errorMessage(err) }),
      );
  }

  private async apply(notify: boolean): Promise<void> {
    const cm = this.informer?.list()[0] as (KubeObject & { data?: Record<string, string> }) | undefined;
    const data = cm?.data ?? {};
    const text = JSON.stringify(data);
    if (text === this.lastData) return;
    this.lastData = text;
    const next = parseArgoCDSettings(data);
    let health: CustomHealth | undefined;
    if (next.health.length > 0) {
      try {
        health = customHealth(next.health, await loadLuaRuntime(), this.opts.luaLimits);
      } catch (err) {
        next.problems.push(
          `argocd-cm health scripts: the Lua runtime could not start (${errorMessage(err)}); custom health checks are off`,
        );
      }
    }
    const problems = new Set(next.problems);
    for (const p of problems) if (!this.reported.has(p)) this.opts.logger.warn(p, { configMap: ARGOCD_CM });
    this.reported = problems;
    this.value = next;
    this.health = health;
    this.opts.logger.info('argocd-cm settings applied', {
      healthChecks: next.health.length,
      ignoreDifferences: next.ignoreDifferences.length,
      exclusions: next.exclusions.length,
      inclusions: next.inclusions.length,
      reconciliation: next.reconciliationMs,
      trackingMethod: next.trackingMethod,
    });
    if (notify) this.opts.onChange?.(next);
  }
}
