import {
  errorMessage,
  keyOf,
  silentLogger,
  type AppProject,
  type Application,
  type KubeObject,
  type Logger,
  type Registry,
} from '../core/index.js';
import { KubeApiError, type KubeClient, type ResourceWriter } from '../cluster/index.js';
import {
  NOTIFICATIONS_CONFIGMAP,
  NOTIFICATIONS_SECRET,
  NOTIFIED_ANNOTATION,
  PENDING_ANNOTATION,
  deliver,
  evaluate,
  parseNotificationsConfig,
  readNotifiedState,
  readPending,
  toPending,
  writeNotifiedState,
  writePending,
  type NotificationsConfig,
  type NotifiedState,
  type PendingNotification,
  type RetryPolicy,
  type SecretData,
} from '../notify/index.js';
import type { RecordEvent } from './events.js';
import { NamedObjectWatch } from './notifications-source.js';

/** What the notification controller needs from the controller around it. */
export interface NotificationControllerOptions {
  client: KubeClient;
  /** Reads and patches Applications. */
  writer: ResourceWriter;
  /** The control-plane namespace holding argocd-notifications-cm and argocd-notifications-secret. */
  namespace: string;
  registry: Registry;
  recordEvent: RecordEvent;
  /** The AppProject of that name, whose subscription annotations apply to its apps. */
  project: (name: string) => AppProject | undefined;
  logger?: Logger;
  /** Defaults for services that set no retryMax/retryWaitMin/retryWaitMax. */
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /**
   * Whether this replica may act on the app (`namespace/name`) now (sharding); undefined: every app is
   * this process's. Only the owner evaluates and sends an app's notifications.
   */
  owns?: (appKey: string) => boolean;
}

const appKey = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;

function rv(o: KubeObject): bigint {
  try {
    return BigInt(o.metadata.resourceVersion ?? '0');
  } catch {
    return 0n;
  }
}

function sameState(a: NotifiedState, b: NotifiedState): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

/**
 * Sends Argo CD-style notifications for the Applications the controller manages.
 *
 * Exactly-once as far as a receiver can see it, across restarts: when triggers fire, the new
 * notified state (Argo CD's `notified.notifications.argoproj.io`) and the rendered notifications
 * (`notifications.mooring.dev/pending`) are written to the Application in one patch, guarded by its
 * resourceVersion, before anything is sent; each is removed from the pending list once delivered
 * or given up on. A controller that stops or dies in between sends what is still pending when it
 * starts again. The one window left is a crash after a receiver accepted a request and before the
 * pending entry was cleared: that notification is sent again (at-least-once), with the same
 * `X-Mooring-Delivery` id so a receiver can drop it.
 */
export class NotificationController {
  private readonly logger: Logger;
  private readonly cm: NamedObjectWatch;
  private readonly secret: NamedObjectWatch;
  private config?: NotificationsConfig;
  private configErrors = '';
  /** Latest informer copy of each app. */
  private readonly apps = new Map<string, Application>();
  /** The copy this controller last wrote (newer than the informer's for a moment). */
  private readonly written = new Map<string, Application>();
  /** The app as last evaluated: `previousApp` of the next evaluation. */
  private readonly evaluated = new Map<string, Application>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly scheduled = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly lastErrors = new Map<string, string>();
  private readonly abort = new AbortController();
  private started = false;
  private readonly deliveriesTotal;
  private readonly retriesTotal;

  constructor(private readonly opts: NotificationControllerOptions) {
    this.logger = (opts.logger ?? silentLogger).child({ component: 'notifications' });
    const base = `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}`;
    const reload = () => this.reload();
    this.cm = new NamedObjectWatch(opts.client, {
      collectionPath: `${base}/configmaps`,
      name: NOTIFICATIONS_CONFIGMAP,
      onChange: reload,
      logger: this.logger,
    });
    this.secret = new NamedObjectWatch(opts.client, {
      collectionPath: `${base}/secrets`,
      name: NOTIFICATIONS_SECRET,
      onChange: reload,
      logger: this.logger,
    });
    this.deliveriesTotal = opts.registry.counter({
      name: 'mooring_notifications_deliveries_total',
      help: 'Notifications delivered (result "sent") or given up on after retries (result "failed"), by service and trigger.',
      labelNames: ['service', 'trigger', 'result'],
    });
    this.retriesTotal = opts.registry.counter({
      name: 'mooring_notifications_retries_total',
      help: 'Notification delivery attempts that failed and were retried, by service.',
      labelNames: ['service'],
    });
    opts.registry.gauge({
      name: 'mooring_notifications_config_errors',
      help: 'Entries of argocd-notifications-cm that could not be used.',
      collect: (g) => g.set(this.config?.errors.length ?? 0),
    });
  }

  /** Starts watching the ConfigMap and Secret; app events are handled once they are read. */
  async start(): Promise<void> {
    this.cm.start();
    this.secret.start();
    await Promise.all([this.cm.synced, this.secret.synced]);
    this.started = true;
    this.reload();
  }

  /** Stops: no new deliveries or retries; waits for attempts in progress. What is still pending stays pending. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.cm.stop();
    this.secret.stop();
    while (this.chains.size > 0 || this.deliveries.size > 0) {
      await Promise.allSettled([...this.chains.values(), ...this.deliveries]);
    }
  }

  /** Resolves when no evaluation or delivery is queued or running (tests). */
  async idle(): Promise<void> {
    while (this.chains.size > 0 || this.deliveries.size > 0) {
      await Promise.allSettled([...this.chains.values(), ...this.deliveries]);
    }
  }

  /** The parsed configuration, when argocd-notifications-cm exists. */
  get configuration(): NotificationsConfig | undefined {
    return this.config;
  }

  /**
   * The apps this replica owns may have changed (shard membership): apps that came in are evaluated
   * (and what a previous owner left pending is sent), apps that left are forgotten so a later return
   * starts from what the Application carries, not from an old copy kept here.
   */
  ownershipChanged(): void {
    if (!this.opts.owns) return;
    const busy = new Set(this.busyKeys());
    for (const key of this.apps.keys()) {
      if (this.opts.owns(key)) this.schedule(key);
      else if (!busy.has(key)) {
        this.evaluated.delete(key);
        this.written.delete(key);
        this.lastErrors.delete(key);
      }
    }
  }

  /** Keys of the apps with an evaluation, a delivery or a pending-list write under way. */
  busyKeys(): string[] {
    const keys = new Set(this.chains.keys());
    for (const flight of this.inFlight) keys.add(flight.slice(0, flight.indexOf('\u0000')));
    return [...keys];
  }

  /** Feeds an Application informer event. */
  onAppEvent(type: string, app: Application): void {
    const key = appKey(app);
    if (type === 'DELETED') {
      this.apps.delete(key);
      void this.chain(key, () => this.onDeleted(key, app));
      return;
    }
    this.apps.set(key, app);
    this.schedule(key);
  }

  private reload(): void {
    if (!this.started) return;
    const cm = this.cm.object as (KubeObject & { data?: Record<string, string> }) | undefined;
    if (!cm) {
      if (this.config) this.logger.info(`${NOTIFICATIONS_CONFIGMAP} is gone: notifications are off`);
      this.config = undefined;
      return;
    }
    this.config = parseNotificationsConfig(cm.data, this.secret.object as SecretData | undefined);
    const errors = this.config.errors.join('; ');
    if (errors !== this.configErrors) {
      if (errors)
        this.logger.warn(`unusable entries in ${NOTIFICATIONS_CONFIGMAP}`, { errors: this.config.errors });
      this.configErrors = errors;
    }
    this.logger.info('notifications configuration loaded', {
      services: [...this.config.services.keys()],
      errors: this.config.errors.length,
    });
    // A new subscription or a fixed template applies to the apps' current state.
    for (const key of this.apps.keys()) this.schedule(key);
  }

  /** Runs fn after everything queued for the app, so one app's state is read and written in order. */
  private chain(key: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev
      .then(fn)
      .catch((err) =>
        this.logger.error('notification processing failed', { app: key, error: errorMessage(err) }),
      )
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
    return next;
  }

  private schedule(key: string): void {
    if (!this.started || this.abort.signal.aborted || this.scheduled.has(key)) return;
    if (this.opts.owns && !this.opts.owns(key)) return; // another replica's: it notifies

    this.scheduled.add(key);
    void this.chain(key, async () => {
      this.scheduled.delete(key);
      await this.evaluateApp(key);
    });
  }

  /** The newer of the informer's copy and the copy written here. */
  private newest(key: string): Application | undefined {
    const informed = this.apps.get(key);
    const mine = this.written.get(key);
    if (!informed) return undefined;
    if (mine && rv(mine) > rv(informed)) return mine;
    this.written.delete(key);
    return informed;
  }

  private async evaluateApp(key: string): Promise<void> {
    const config = this.config;
    let app = this.newest(key);
    if (!config || !app || this.abort.signal.aborted) return;
    if (this.opts.owns && !this.opts.owns(key)) return; // moved away since it was scheduled
    const previous = this.evaluated.get(key);
    for (let attempt = 0; attempt < 5; attempt++) {
      const state = readNotifiedState(app.metadata.annotations);
      const pending = readPending(app.metadata.annotations);
      const result = evaluate(app, previous, config, state, {
        project: this.opts.project(app.spec?.project),
      });
      this.reportErrors(key, result.errors);
      const ids = new Set(pending.map((p) => p.id));
      const fresh = result.notifications
        .map(toPending)
        .filter((p) => !ids.has(p.id) && (ids.add(p.id), true));
      if (fresh.length === 0 && sameState(state, result.state)) {
        this.evaluated.set(key, app);
        this.startDeliveries(key, pending);
        return;
      }
      const nextPending = [...pending, ...fresh];
      try {
        app = await this.patch(app, result.state, nextPending);
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 409) {
          // Someone wrote the app since this copy was read: evaluate the current one.
          const current = await this.opts.writer.get(keyOf(app));
          if (!current) return;
          app = current as Application;
          continue;
        }
        if (err instanceof KubeApiError && err.code === 404) return;
        throw err;
      }
      this.evaluated.set(key, app);
      if (fresh.length) {
        this.logger.info('notifications due', {
          app: key,
          notifications: fresh.map(
            (n) => `${n.trigger} → ${n.service}${n.recipient ? `:${n.recipient}` : ''}`,
          ),
        });
      }
      this.startDeliveries(key, nextPending);
      return;
    }
    // Kept conflicting with other writers: look again a moment later.
    setTimeout(() => this.schedule(key), 1000).unref();
  }

  /** Writes the notified state and the pending list, guarded by the copy's resourceVersion. */
  private async patch(
    app: Application,
    state: NotifiedState,
    pending: PendingNotification[],
  ): Promise<Application> {
    const written = (await this.opts.writer.mergePatch(keyOf(app), {
      metadata: {
        resourceVersion: app.metadata.resourceVersion,
        annotations: {
          [NOTIFIED_ANNOTATION]: Object.keys(state).length ? writeNotifiedState(state) : null,
          [PENDING_ANNOTATION]: writePending(pending),
        },
      },
    })) as Application;
    this.written.set(appKey(written), written);
    return written;
  }

  private reportErrors(key: string, errors: string[]): void {
    const text = errors.join('; ');
    if (text === (this.lastErrors.get(key) ?? '')) return;
    this.lastErrors.set(key, text);
    if (text) this.logger.warn('notification subscriptions could not be evaluated', { app: key, errors });
  }

  private startDeliveries(key: string, pending: PendingNotification[], persisted = true): void {
    for (const n of pending) {
      const flightKey = `${key}\u0000${n.id}`;
      if (this.inFlight.has(flightKey) || this.abort.signal.aborted) continue;
      this.inFlight.add(flightKey);
      const p = this.deliverOne(key, n, persisted).finally(() => {
        this.inFlight.delete(flightKey);
        this.deliveries.delete(p);
      });
      this.deliveries.add(p);
    }
  }

  private async deliverOne(key: string, n: PendingNotification, persisted: boolean): Promise<void> {
    const service = this.config?.services.get(n.service);
    const result = service
      ? await deliver(n, service, {
          timeoutMs: this.opts.timeoutMs,
          retry: this.opts.retry,
          abort: this.abort.signal,
          onRetry: (attempt, error) => {
            this.retriesTotal.inc({ service: n.service });
            this.logger.info('notification delivery failed, retrying', {
              app: key,
              trigger: n.trigger,
              service: n.service,
              attempt,
              error,
            });
          },
        })
      : { ok: false, attempts: 0, error: `service '${n.service}' is not configured` };
    // Stopped while waiting to retry: leave it pending for the next start.
    if (!result.ok && this.abort.signal.aborted && result.attempts > 0) return;
    const fields = {
      app: key,
      trigger: n.trigger,
      service: n.service,
      template: n.template,
      attempts: result.attempts,
    };
    if (result.ok) {
      this.deliveriesTotal.inc({ service: n.service, trigger: n.trigger, result: 'sent' });
      this.logger.info('notification sent', fields);
    } else {
      this.deliveriesTotal.inc({ service: n.service, trigger: n.trigger, result: 'failed' });
      this.logger.error('notification failed', { ...fields, error: result.error });
      const app = this.apps.get(key) ?? this.evaluated.get(key);
      if (app) {
        const to = n.recipient ? ` to ${n.recipient}` : '';
        await this.opts.recordEvent(
          app,
          'Warning',
          'NotificationFailed',
          `Notification ${n.trigger} via ${n.service}${to} failed after ${result.attempts} attempt(s): ${result.error}`,
        );
      }
    }
    // Still "in flight" until the pending entry is gone, so no evaluation in between sends it again.
    if (persisted) await this.chain(key, () => this.settle(key, n.id));
  }

  /** Removes a delivered (or given up) notification from the app's pending list. */
  private async settle(key: string, id: string): Promise<void> {
    let app = this.newest(key) ?? this.evaluated.get(key);
    for (let attempt = 0; app && attempt < 10; attempt++) {
      const pending = readPending(app.metadata.annotations);
      if (!pending.some((p) => p.id === id)) return;
      try {
        const written = (await this.opts.writer.mergePatch(keyOf(app), {
          metadata: {
            resourceVersion: app.metadata.resourceVersion,
            annotations: { [PENDING_ANNOTATION]: writePending(pending.filter((p) => p.id !== id)) },
          },
        })) as Application;
        this.written.set(key, written);
        return;
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 404) return;
        if (!(err instanceof KubeApiError && err.code === 409)) throw err;
        app = (await this.opts.writer.get(keyOf(app))) as Application | undefined;
      }
    }
    if (app) this.logger.warn('could not clear a delivered notification; it may be sent again', { app: key });
  }

  /** The app is gone: on-deleted (and whatever was still pending) is sent now, with nowhere left to record it. */
  private async onDeleted(key: string, app: Application): Promise<void> {
    const config = this.config;
    this.written.delete(key);
    const last = this.evaluated.get(key);
    this.evaluated.delete(key);
    this.lastErrors.delete(key);
    if (!config || this.abort.signal.aborted) return;
    // Sharded: only the replica that last evaluated the app (its owner) sends on-deleted. The gate
    // cannot say: the app is gone from the informer, and with --shard-by cluster its owner follows its
    // destination.
    if (this.opts.owns && !last) return;
    // Deleted without finalizers, the last copy may carry no deletionTimestamp.
    const gone: Application = {
      ...app,
      metadata: {
        ...app.metadata,
        deletionTimestamp: app.metadata.deletionTimestamp ?? new Date().toISOString(),
        annotations: {
          ...app.metadata.annotations,
          ...(last && rv(last) > rv(app) ? pickNotify(last.metadata.annotations) : {}),
        },
      },
    };
    const state = readNotifiedState(gone.metadata.annotations);
    const pending = readPending(gone.metadata.annotations);
    const result = evaluate(gone, last, config, state, { project: this.opts.project(app.spec?.project) });
    const ids = new Set(pending.map((p) => p.id));
    const fresh = result.notifications.map(toPending).filter((p) => !ids.has(p.id));
    this.startDeliveries(key, [...pending, ...fresh], false);
  }
}

function pickNotify(annotations: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [NOTIFIED_ANNOTATION, PENDING_ANNOTATION]) {
    const v = annotations?.[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
