/** How a health or sync status is shown: a symbol, a CSS modifier and words for screen readers. */
export interface StatusLook {
  icon: string;
  tone: 'ok' | 'warn' | 'bad' | 'busy' | 'unknown' | 'paused' | 'missing';
  label: string;
}

const HEALTH: Record<string, Omit<StatusLook, 'label'>> = {
  Healthy: { icon: '♥', tone: 'ok' },
  Progressing: { icon: '◔', tone: 'busy' },
  Degraded: { icon: '✕', tone: 'bad' },
  Suspended: { icon: '❚❚', tone: 'paused' },
  Missing: { icon: '◌', tone: 'missing' },
  Unknown: { icon: '?', tone: 'unknown' },
};

const SYNC: Record<string, Omit<StatusLook, 'label'>> = {
  Synced: { icon: '✓', tone: 'ok' },
  OutOfSync: { icon: '↻', tone: 'warn' },
  Unknown: { icon: '?', tone: 'unknown' },
};

const PHASE: Record<string, Omit<StatusLook, 'label'>> = {
  Running: { icon: '◔', tone: 'busy' },
  Terminating: { icon: '◔', tone: 'busy' },
  Succeeded: { icon: '✓', tone: 'ok' },
  Failed: { icon: '✕', tone: 'bad' },
  Error: { icon: '!', tone: 'bad' },
};

/** The look of a health status (Argo CD's names); anything else is shown as Unknown. */
export function healthLook(status: string | undefined): StatusLook {
  const s = status ?? 'Unknown';
  return { ...(HEALTH[s] ?? HEALTH.Unknown!), label: `Health: ${s}` };
}

/** The look of a sync status. */
export function syncLook(status: string | undefined): StatusLook {
  const s = status ?? 'Unknown';
  return { ...(SYNC[s] ?? SYNC.Unknown!), label: `Sync: ${s}` };
}

/** The look of an operation phase (Running, Succeeded, Failed, Error, Terminating). */
export function phaseLook(phase: string | undefined): StatusLook {
  const s = phase ?? 'Unknown';
  return { ...(PHASE[s] ?? { icon: '?', tone: 'unknown' }), label: `Operation: ${s}` };
}

/** The health statuses offered as filters, best first. */
export const HEALTH_FILTERS = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'];
/** The sync statuses offered as filters. */
export const SYNC_FILTERS = ['Synced', 'OutOfSync', 'Unknown'];
