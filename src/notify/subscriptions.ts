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
