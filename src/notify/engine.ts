import { createHash } from 'node:crypto';
import { errorMessage, type AppProject, type Application } from '../core/index.js';
import type { NotificationsConfig, ServiceConfig, TemplateConfig, TemplateTree } from './config.js';
import { isTemplate } from './template.js';
import { TIME_NAMESPACE } from './time-values.js';
import {
  matchesSelector,
  mergeSubscriptions,
  parseSubscriptions,
  type Subscription,
} from './subscriptions.js';

/** The annotation the caller stores the notified state in, as Argo CD does. */
export const NOTIFIED_ANNOTATION = 'notified.notifications.argoproj.io';

/** What has been sent: dedupe key → unix seconds. Plain JSON, persisted by the caller between evaluations. */
export type NotifiedState = Record<string, number>;

// Bounded like Argo CD's, so an app whose revision changes often does not grow its annotation forever.
const MAX_STATE_ENTRIES = 5000;
// Parts whose value is JSON when it looks like JSON: rendered with JSON escaping, so app data can't inject.
const JSON_PARTS = new Set(['body', 'attachments', 'blocks']);

/** One notification to deliver. */
export interface Notification {
  /** The Application it is about. */
  app: { namespace: string; name: string };
  trigger: string;
  service: string;
  serviceType: string;
  recipient: string;
  template: string;
  /** The rendered `message` ('' when the template has none). */
  message: string;
  /** The rendered part for this service: `webhook.<service>` for webhooks, else the part named by the type. */
  part?: unknown;
  /** The dedupe key in the state; `forgetNotified(state, key)` makes it due again (e.g. after a failed send). */
  key: string;
}

/** The outcome of one evaluation. */
export interface EvaluateResult {
  notifications: Notification[];
  /** The state as if every notification were delivered: persist it once they are. */
  state: NotifiedState;
  /** One line per subscription that could not be evaluated (unknown trigger/service/template, bad config). */
  errors: string[];
}

/** Options of evaluate. */
export interface EvaluateOptions {
  /** The app's project: its subscription annotations apply too. */
  project?: AppProject;
  /** Subscriptions to use instead of the annotations and the ConfigMap's `subscriptions` (e.g. for `mooring notifications test`). */
  subscriptions?: Subscription[];
  /** Unix seconds, for the state's timestamps. */
  now?: number;
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}

function renderTree(t: TemplateTree, data: Record<string, unknown>, key: string): unknown {
  if (t === null || typeof t !== 'object') return t;
  if (Array.isArray(t)) return t.map((x) => renderTree(x, data, key));
  if (isTemplate(t)) {
    const src = t.source.trimStart();
    const json = JSON_PARTS.has(key) && (src.startsWith('{') || src.startsWith('['));
    return t.render(data, { escape: json ? 'json' : 'none' });
  }
  const obj = t as Record<string, TemplateTree>;
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, renderTree(v, data, k)]));
}

/** Renders a template for one service and recipient. */
export function renderNotification(
  template: TemplateConfig,
  service: ServiceConfig,
  data: Record<string, unknown>,
): { message: string; part?: unknown } {
  const vars = { ...data, serviceType: service.type };
  const msg = template.parts.message;
  const message = msg === undefined || msg === null ? '' : String(renderTree(msg, vars, 'message'));
  const section = template.parts[service.type];
  const raw =
    service.type === 'webhook' && section && typeof section === 'object' && !isTemplate(section)
      ? (section as Record<string, TemplateTree>)[service.name]
      : section;
  return raw === undefined ? { message } : { message, part: renderTree(raw, vars, service.type) };
}

/** Reads the notified state from an object's annotations; a missing or garbled annotation is an empty state. */
export function readNotifiedState(annotations: Record<string, string> | undefined): NotifiedState {
  const text = annotations?.[NOTIFIED_ANNOTATION];
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
    // Only numeric entries survive: the annotation is user-editable, so it is data, not trusted structure.
    return Object.fromEntries(Object.entries(v).filter(([, t]) => typeof t === 'number'));
  } catch {
    return {};
  }
}

/** The annotation value that stores a notified state. */
export function writeNotifiedState(state: NotifiedState): string {
  return JSON.stringify(state);
}

/** Marks a key as not sent, so the notification is due again on the next evaluation. */
export function forgetNotified(state: NotifiedState, key: string): NotifiedState {
  const next = { ...state };
  delete next[key];
  return next;
}

function truncate(state: NotifiedState): NotifiedState {
  const entries = Object.entries(state);
  if (entries.length <= MAX_STATE_ENTRIES) return state;
  entries.sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb));
  return Object.fromEntries(entries.slice(0, MAX_STATE_ENTRIES));
}

/**
 * Evaluates every subscription of an Application: which notifications are due now, and the new state.
 * Like Argo CD, a condition notifies once when it becomes true; without `oncePer` it may notify again
 * after it was false, with `oncePer` (e.g. the synced revision) once per value of that expression.
 * Conditions see `app` and `previousApp` (nil on the first evaluation); templates also see `.context`,
 * `.serviceType` and `.recipient`.
 */
export function evaluate(
  app: Application,
  previousApp: Application | undefined,
  config: NotificationsConfig,
  state: NotifiedState,
  opts: EvaluateOptions = {},
): EvaluateResult {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const subs =
    opts.subscriptions ??
    mergeSubscriptions(
      parseSubscriptions(app.metadata.annotations),
      parseSubscriptions(opts.project?.metadata.annotations),
      ...config.subscriptions
        .filter((g) => matchesSelector(g.selector, app.metadata.labels))
        .map((g) => g.subscriptions),
    );
  const next: NotifiedState = { ...state };
  const notifications: Notification[] = [];
  const errors: string[] = [];
  const vars = { app, previousApp };

  for (const sub of subs) {
    const where = `subscription ${sub.trigger ?? '(default triggers)'}.${sub.service}`;
    const service = config.services.get(sub.service);
    if (!service) {
      errors.push(`${where}: service '${sub.service}' is not configured`);
      continue;
    }
    for (const triggerName of sub.trigger ? [sub.trigger] : config.defaultTriggers) {
      const trigger = config.triggers.get(triggerName);
      if (!trigger) {
        errors.push(`${where}: trigger '${triggerName}' is not configured`);
        continue;
      }
      if (trigger.error) {
        errors.push(`${where}: trigger '${triggerName}' is invalid: ${trigger.error}`);
        continue;
      }
      trigger.conditions.forEach((cond, i) => {
        let fired: boolean;
        let oncePer = '';
        try {
          fired = cond.when.evaluate(vars) === true;
          const v = cond.oncePer?.evaluate(vars);
          if (v !== undefined && v !== null) oncePer = typeof v === 'object' ? JSON.stringify(v) : String(v);
        } catch (err) {
          errors.push(`${where}: trigger '${triggerName}'[${i}]: ${errorMessage(err)}`);
          return;
        }
        for (const recipient of sub.recipients) {
          const base = `${triggerName}:[${i}].${shortHash(cond.when.source)}:${sub.service}:${recipient}`;
          const key = oncePer ? `${oncePer}:${base}` : base;
          if (!fired) {
            // Without oncePer the condition re-arms once false; with it, the value already seen stays spent.
            if (!oncePer) delete next[key];
            continue;
          }
          if (Object.hasOwn(next, key)) continue;
          const rendered: Notification[] = [];
          try {
            for (const name of cond.send) {
              const template = config.templates.get(name);
              if (!template) throw new Error(`template '${name}' is not configured`);
              // `.time`: Argo CD's time functions, for `call .time.Parse …` in templates.
              const data = { app, context: config.context, recipient, time: TIME_NAMESPACE };
              rendered.push({
                app: { namespace: app.metadata.namespace ?? '', name: app.metadata.name ?? '' },
                trigger: triggerName,
                service: sub.service,
                serviceType: service.type,
                recipient,
                template: name,
                ...renderNotification(template, service, data),
                key,
              });
            }
          } catch (err) {
            // Not marked as sent: it is due again once the configuration is fixed.
            errors.push(`${where}: trigger '${triggerName}': ${errorMessage(err)}`);
            continue;
          }
          notifications.push(...rendered);
          next[key] = now;
        }
      });
    }
  }
  return { notifications, state: truncate(next), errors };
}
