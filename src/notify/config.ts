import { inspect } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { UserError, errorMessage } from '../core/index.js';
import { BUILTIN_TEMPLATES, BUILTIN_TRIGGERS } from './catalog.js';
import { NOTIFY_ERROR, compileExpr, type Expr } from './expr.js';
import { compileTemplate, type Template } from './template.js';
import { parseGlobalSubscriptions, type GlobalSubscription } from './subscriptions.js';

/** The ConfigMap Argo CD Notifications reads, which Mooring reads too. */
export const NOTIFICATIONS_CONFIGMAP = 'argocd-notifications-cm';
/** The Secret that `$key` references in service settings resolve from. */
export const NOTIFICATIONS_SECRET = 'argocd-notifications-secret';

/** A `service.<type>[.<name>]` entry, with `$key` references resolved from the Secret. */
export interface ServiceConfig {
  name: string;
  type: string;
  settings: Record<string, unknown>;
}

/** A template value tree whose strings are compiled templates. */
export type TemplateTree =
  Template | string | number | boolean | null | TemplateTree[] | { [k: string]: TemplateTree };

/** A `template.<name>` entry: `message` plus per-service-type parts (`webhook`, `slack`, `email`, `teams`, …). */
export interface TemplateConfig {
  name: string;
  parts: Record<string, TemplateTree>;
}

/** One condition of a trigger. */
export interface TriggerCondition {
  when: Expr;
  send: string[];
  oncePer?: Expr;
  description?: string;
}

/** A `trigger.<name>` entry; `error` is set instead of conditions when it could not be parsed. */
export interface TriggerConfig {
  name: string;
  conditions: TriggerCondition[];
  error?: string;
}

/** The parsed notifications configuration. */
export interface NotificationsConfig {
  services: Map<string, ServiceConfig>;
  templates: Map<string, TemplateConfig>;
  triggers: Map<string, TriggerConfig>;
  /** Triggers a subscription without a trigger name (`subscribe.<service>`) uses. */
  defaultTriggers: string[];
  /** The `context` entry: extra values templates see as `.context`. */
  context: Record<string, unknown>;
  /** The `subscriptions` entry: subscriptions for apps selected by labels. */
  subscriptions: GlobalSubscription[];
  /** One line per entry that could not be used (the rest of the configuration still works). */
  errors: string[];
}

/** A Secret's data (base64) and/or stringData. */
export interface SecretData {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function yamlValue(key: string, text: string): unknown {
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new UserError(`${key}: invalid YAML: ${errorMessage(err).split('\n')[0]}`, NOTIFY_ERROR);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function compileTree(v: unknown): TemplateTree {
  if (typeof v === 'string') return v.includes('{{') ? compileTemplate(v) : v;
  if (Array.isArray(v)) return v.map(compileTree);
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compileTree(x)]));
  return typeof v === 'number' || typeof v === 'boolean' ? v : null;
}

/** Compiles a template entry's value (a YAML map); errors name the template. */
export function compileTemplateConfig(name: string, value: unknown): TemplateConfig {
  if (!isRecord(value)) throw new UserError(`template.${name}: expected a map`, NOTIFY_ERROR);
  try {
    return { name, parts: compileTree(value) as Record<string, TemplateTree> };
  } catch (err) {
    throw new UserError(`template.${name}: ${errorMessage(err)}`, NOTIFY_ERROR);
  }
}

/** Compiles a trigger entry's value (a YAML list of conditions); errors name the trigger and condition. */
export function compileTriggerConfig(name: string, value: unknown): TriggerConfig {
  const where = `trigger.${name}`;
  if (!Array.isArray(value)) throw new UserError(`${where}: expected a list of conditions`, NOTIFY_ERROR);
  const conditions = value.map((c: unknown, i): TriggerCondition => {
    const at = `${where}[${i}]`;
    if (!isRecord(c) || typeof c.when !== 'string')
      throw new UserError(`${at}: 'when' is required`, NOTIFY_ERROR);
    const send = c.send;
    if (!Array.isArray(send) || !send.every((s) => typeof s === 'string')) {
      throw new UserError(`${at}: 'send' must be a list of template names`, NOTIFY_ERROR);
    }
    const compile = (field: string, src: string) => {
      try {
        return compileExpr(src);
      } catch (err) {
        throw new UserError(`${at}.${field}: ${errorMessage(err)}`, NOTIFY_ERROR);
      }
    };
    return {
      when: compile('when', c.when),
      send: send as string[],
      ...(typeof c.oncePer === 'string' && c.oncePer ? { oncePer: compile('oncePer', c.oncePer) } : {}),
      ...(typeof c.description === 'string' ? { description: c.description } : {}),
    };
  });
  return { name, conditions };
}

function decodeSecret(secret: SecretData | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(secret?.data ?? {}))
    out.set(k, Buffer.from(v, 'base64').toString('utf8'));
  for (const [k, v] of Object.entries(secret?.stringData ?? {})) out.set(k, v);
  return out;
}

// `$name` anywhere in a string, as Argo CD substitutes secret keys into service settings.
const SECRET_REF = /\$([A-Za-z0-9_.-]+)/g;

function resolveSecrets(v: unknown, secrets: Map<string, string>, where: string, used: Set<string>): unknown {
  if (typeof v === 'string') {
    // A value that is only a reference must resolve; embedded `$` in longer text may be literal.
    const whole = /^\$([A-Za-z0-9_.-]+)$/.exec(v);
    if (whole && !secrets.has(whole[1]!)) {
      // Names the key, never a value.
      throw new UserError(
        `${where}: secret key '${whole[1]}' is not in ${NOTIFICATIONS_SECRET}`,
        NOTIFY_ERROR,
      );
    }
    return v.replace(SECRET_REF, (m, k: string) => {
      const secret = secrets.get(k);
      if (secret === undefined) return m;
      if (secret) used.add(secret);
      return secret;
    });
  }
  if (Array.isArray(v)) return v.map((x) => resolveSecrets(x, secrets, where, used));
  if (isRecord(v)) {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, resolveSecrets(x, secrets, where, used)]),
    );
  }
  return v;
}

/** Replaces every occurrence of the given secret values in strings of a value tree. */
export function redactSecrets(v: unknown, secretValues: Iterable<string>): unknown {
  const values = [...secretValues].filter(Boolean).sort((a, b) => b.length - a.length);
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') return values.reduce((s, secret) => s.split(secret).join('******'), x);
    if (Array.isArray(x)) return x.map(walk);
    if (isRecord(x)) return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return walk(v);
}

function makeService(
  name: string,
  type: string,
  settings: Record<string, unknown>,
  used: Set<string>,
): ServiceConfig {
  const svc: ServiceConfig = { name, type, settings };
  // Logging or serializing a service shows its settings with the secret values masked.
  const safe = () => ({ name, type, settings: redactSecrets(settings, used) });
  Object.defineProperty(svc, 'toJSON', { value: safe, enumerable: false });
  Object.defineProperty(svc, inspect.custom, { value: () => safe(), enumerable: false });
  return svc;
}

/**
 * Parses argocd-notifications-cm's data (and resolves `$key` from argocd-notifications-secret).
 * A broken entry is reported in `errors` (and a broken trigger keeps its error) so the others still work.
 * Secret values never appear in errors.
 */
export function parseNotificationsConfig(
  data: Record<string, string> | undefined,
  secret?: SecretData,
): NotificationsConfig {
  const secrets = decodeSecret(secret);
  const cfg: NotificationsConfig = {
    services: new Map(),
    templates: new Map(),
    triggers: new Map(),
    defaultTriggers: [],
    context: {},
    subscriptions: [],
    errors: [],
  };
  for (const [key, text] of Object.entries(data ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    try {
      if (key.startsWith('service.')) {
        // service.slack → name "slack"; service.webhook.github → type "webhook", name "github".
        const rest = key.slice('service.'.length);
        const dot = rest.indexOf('.');
        const type = dot < 0 ? rest : rest.slice(0, dot);
        const name = dot < 0 ? rest : rest.slice(dot + 1);
        const value = yamlValue(key, text) ?? {};
        if (!isRecord(value)) throw new UserError(`${key}: expected a map`, NOTIFY_ERROR);
        const used = new Set<string>();
        const settings = resolveSecrets(value, secrets, key, used) as Record<string, unknown>;
        cfg.services.set(name, makeService(name, type, settings, used));
      } else if (key.startsWith('template.')) {
        const name = key.slice('template.'.length);
        cfg.templates.set(name, compileTemplateConfig(name, yamlValue(key, text)));
      } else if (key.startsWith('trigger.')) {
        const name = key.slice('trigger.'.length);
        try {
          cfg.triggers.set(name, compileTriggerConfig(name, yamlValue(key, text)));
        } catch (err) {
          cfg.triggers.set(name, { name, conditions: [], error: errorMessage(err) });
          throw err;
        }
      } else if (key === 'defaultTriggers') {
        const v = yamlValue(key, text);
        if (!Array.isArray(v)) throw new UserError(`${key}: expected a list of trigger names`, NOTIFY_ERROR);
        cfg.defaultTriggers = v.map(String);
      } else if (key === 'subscriptions') {
        try {
          cfg.subscriptions = parseGlobalSubscriptions(yamlValue(key, text));
        } catch (err) {
          throw new UserError(`${key}: ${errorMessage(err).replace(/^subscriptions: /, '')}`, NOTIFY_ERROR);
        }
      } else if (key === 'context') {
        const v = yamlValue(key, text);
        if (!isRecord(v)) throw new UserError(`${key}: expected a map`, NOTIFY_ERROR);
        cfg.context = v;
      }
    } catch (err) {
      cfg.errors.push(errorMessage(err));
    }
  }
  // The built-in catalog fills in what the ConfigMap does not define.
  for (const [name, value] of Object.entries(BUILTIN_TRIGGERS)) {
    if (!cfg.triggers.has(name)) cfg.triggers.set(name, compileTriggerConfig(name, value));
  }
  for (const [name, value] of Object.entries(BUILTIN_TEMPLATES)) {
    if (!cfg.templates.has(name)) cfg.templates.set(name, compileTemplateConfig(name, value));
  }
  return cfg;
}
