/** A revision as people read it: the first 7 characters of a commit SHA, anything else unchanged. */
export function shortRevision(revision: string | undefined): string {
  if (!revision) return '';
  return /^[0-9a-f]{40}$/i.test(revision) ? revision.slice(0, 7) : revision;
}

/** "3 minutes ago" for a timestamp, relative to `now`; '' for a missing or unparsable one. */
export function timeAgo(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 45) return 'just now';
  const units: [number, string][] = [
    [60, 'minute'],
    [3600, 'hour'],
    [86400, 'day'],
  ];
  let n = Math.round(s / 60);
  let unit = 'minute';
  for (const [secs, name] of units) {
    if (s >= secs * (name === 'minute' ? 0.75 : 1)) {
      n = Math.round(s / secs);
      unit = name;
    }
  }
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}
