/** The annotation prefix of a subscription: `notifications.argoproj.io/subscribe.<trigger>.<service>`. */
export const SUBSCRIBE_PREFIX = 'notifications.argoproj.io/subscribe.';

/** One subscription: a trigger (or every default trigger when `trigger` is undefined), a service, recipients. */
export interface Subscription {
  trigger?: string;
  service: string;
  recipients: string[];
}

/**
 * Reads subscriptions from annotations (of an Application or an AppProject).
 * `subscribe.<trigger>.<service>` names both; `subscribe.<service>` means the default triggers. Trigger
 * names have no dots, so the first dot splits them; recipients are `;`-separated, and an empty value
 * is one empty recipient (a webhook needs none).
 */
export function parseSubscriptions(annotations: Record<string, string> | undefined): Subscription[] {
  const out: Subscription[] = [];
  for (const [key, value] of Object.entries(annotations ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (!key.startsWith(SUBSCRIBE_PREFIX)) continue;
    const rest = key.slice(SUBSCRIBE_PREFIX.length);
    const dot = rest.indexOf('.');
    const trigger = dot < 0 ? undefined : rest.slice(0, dot);
    const service = dot < 0 ? rest : rest.slice(dot + 1);
    if (!service || trigger === '') continue;
    const recipients = value
      .split(';')
      .map((r) => r.trim())
      .filter(Boolean);
    out.push({ ...(trigger ? { trigger } : {}), service, recipients: recipients.length ? recipients : [''] });
  }
  return out;
}

/** The subscriptions of an Application together with its AppProject's, each (trigger, service, recipient) once. */
export function mergeSubscriptions(...lists: Subscription[][]): Subscription[] {
  const byKey = new Map<string, Subscription>();
  for (const s of lists.flat()) {
    const key = `${s.trigger ?? ''}\u0000${s.service}`;
    const prev = byKey.get(key);
    if (!prev) byKey.set(key, { ...s, recipients: [...new Set(s.recipients)] });
    else prev.recipients = [...new Set([...prev.recipients, ...s.recipients])];
  }
  return [...byKey.values()];
}

/** A `subscriptions` entry of the ConfigMap: subscriptions for every app whose labels match `selector`. */
export interface GlobalSubscription {
  selector: string;
  subscriptions: Subscription[];
}

/**
 * Parses the ConfigMap's `subscriptions` value: a list of `{recipients: ['<service>:<recipient>'],
 * triggers?: [..], selector?: 'k=v,…'}`. Without triggers, the default triggers apply.
 */
export function parseGlobalSubscriptions(value: unknown): GlobalSubscription[] {
  if (!Array.isArray(value)) throw new Error('expected a list');
  return value.map((entry: unknown, i) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const recipients = e.recipients;
    if (!Array.isArray(recipients) || recipients.length === 0)
      throw new Error(`[${i}]: 'recipients' is required`);
    const triggers = Array.isArray(e.triggers) ? e.triggers.map(String) : [undefined];
    const byService = new Map<string, string[]>();
    for (const r of recipients.map(String)) {
      // '<service>:<recipient>'; a bare '<service>' (a webhook) has one empty recipient.
      const colon = r.indexOf(':');
      const service = colon < 0 ? r : r.slice(0, colon);
      byService.set(service, [...(byService.get(service) ?? []), colon < 0 ? '' : r.slice(colon + 1)]);
    }
    const subscriptions = triggers.flatMap((trigger) =>
      [...byService].map(([service, rs]) => ({ ...(trigger ? { trigger } : {}), service, recipients: rs })),
    );
    return { selector: typeof e.selector === 'string' ? e.selector : '', subscriptions };
  });
}

/** True when labels match an equality-based label selector (`a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated). */
export function matchesSelector(selector: string, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return selector
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .every((req) => {
      const ne = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(req);
      if (ne) return l[ne[1]!] !== ne[2]!.trim();
      const eq = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(req);
      if (eq) return l[eq[1]!] === eq[2]!.trim();
      if (req.startsWith('!')) return !Object.hasOwn(l, req.slice(1).trim());
      return Object.hasOwn(l, req);
    });
}
