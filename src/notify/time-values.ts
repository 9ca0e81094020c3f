// The `time` namespace of Argo CD notification expressions, as values the evaluator can hold:
// instants and durations with a fixed list of methods, never arbitrary property access.

/** A Go-like duration, in nanoseconds. */
export class DurationValue {
  constructor(readonly ns: number) {}
  toString(): string {
    return formatDuration(this.ns);
  }
}

/** A Go-like instant, in milliseconds since the epoch (UTC). */
export class TimeValue {
  constructor(readonly ms: number) {}
  toString(): string {
    return formatRFC3339(this.ms);
  }
}

/** A function value: `time.Now`, `len`, or a method bound to its receiver. */
export class Callable {
  constructor(
    readonly name: string,
    readonly fn: (args: unknown[]) => unknown,
  ) {}
}

/** Thrown for a time function's bad argument; the evaluator prefixes the expression. */
export class TimeError extends Error {}

/** The `time` namespace object (opaque: only member() reads it). */
export const TIME_NAMESPACE = Object.freeze({ kind: 'time-namespace' as const });

const NS = { Nanosecond: 1, Microsecond: 1e3, Millisecond: 1e6, Second: 1e9, Minute: 60e9, Hour: 3600e9 };
/** Go's RFC3339 layouts, the only ones Parse and Format accept. */
export const RFC3339 = '2006-01-02T15:04:05Z07:00';
const RFC3339_NANO = '2006-01-02T15:04:05.999999999Z07:00';
const RFC3339_TEXT = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp as Go's time.Parse(time.RFC3339, s) does; throws TimeError otherwise. */
export function parseRFC3339(s: unknown): TimeValue {
  if (s instanceof TimeValue) return s;
  if (typeof s !== 'string') throw new TimeError(`expected an RFC 3339 timestamp string, got ${kindOf(s)}`);
  const m = RFC3339_TEXT.exec(s);
  const ms = m ? Date.parse(s.toUpperCase()) : NaN;
  // Date.parse rolls 2024-02-30 over to March: check the fields survived.
  if (!m || Number.isNaN(ms) || new Date(ms + offsetMs(m[8]!)).getUTCDate() !== Number(m[3])) {
    throw new TimeError(
      `cannot parse ${JSON.stringify(s.slice(0, 64))} as RFC 3339 (e.g. 2006-01-02T15:04:05Z)`,
    );
  }
  return new TimeValue(ms);
}

function offsetMs(zone: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
}

function formatRFC3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Go's Duration.String: 1h2m3.5s, 150ms, 0s.
function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let rest = Math.abs(ns);
  if (rest < NS.Second) {
    const [unit, size] =
      rest < NS.Microsecond ? ['ns', 1] : rest < NS.Millisecond ? ['µs', 1e3] : ['ms', 1e6];
    return `${sign}${+(rest / (size as number)).toFixed(6)}${unit as string}`;
  }
  const h = Math.floor(rest / NS.Hour);
  rest -= h * NS.Hour;
  const m = Math.floor(rest / NS.Minute);
  rest -= m * NS.Minute;
  const s = +(rest / NS.Second).toFixed(9);
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** A short name of a value's kind, for error messages (never the value itself). */
export function kindOf(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (v instanceof TimeValue) return 'time';
  if (v instanceof DurationValue) return 'duration';
  if (v instanceof Callable) return 'function';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'map' : typeof v;
}

function duration(v: unknown, what: string): DurationValue {
  if (v instanceof DurationValue) return v;
  if (typeof v === 'number' && Number.isFinite(v)) return new DurationValue(Math.trunc(v));
  throw new TimeError(`${what}: expected a duration, got ${kindOf(v)}`);
}

function layout(v: unknown, what: string): void {
  if (v !== RFC3339 && v !== RFC3339_NANO)
    throw new TimeError(`${what}: only the layouts time.RFC3339 and time.RFC3339Nano are supported`);
}

const fn = (name: string, f: (args: unknown[]) => unknown) => new Callable(name, f);

function arity(name: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max)
    throw new TimeError(
      `${name}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length}`,
    );
}

/**
 * A member of a time value, duration or the `time` namespace (`time.Now`, `t.Sub`, `d.Minutes`…),
 * or undefined when the receiver is none of those. Unknown members are a TimeError.
 */
export function timeMember(obj: unknown, key: unknown, now: () => number): unknown {
  if (obj === TIME_NAMESPACE) {
    if (typeof key === 'string' && Object.hasOwn(NS, key))
      return new DurationValue(NS[key as keyof typeof NS]);
    switch (key) {
      case 'Now':
        return fn('time.Now', (a) => (arity('time.Now', a, 0), new TimeValue(now())));
      case 'Parse':
        // Argo CD's time.Parse(val) reads RFC 3339; Go's time.Parse(layout, val) is accepted with that layout.
        return fn('time.Parse', (a) => {
          arity('time.Parse', a, 1, 2);
          if (a.length === 2) layout(a[0], 'time.Parse');
          return parseRFC3339(a[a.length - 1]);
        });
      case 'Duration':
        return fn('time.Duration', (a) => (arity('time.Duration', a, 1), duration(a[0], 'time.Duration')));
      case 'RFC3339':
        return RFC3339;
      case 'RFC3339Nano':
        return RFC3339_NANO;
    }
    throw new TimeError(`time has no member ${JSON.stringify(String(key))}`);
  }
  if (obj instanceof TimeValue) {
    const t = obj;
    const other = (name: string, a: unknown[]) => (arity(name, a, 1), parseRFC3339(a[0]).ms);
    switch (key) {
      case 'Sub':
        return fn('Sub', (a) => new DurationValue((t.ms - other('Sub', a)) * 1e6));
      case 'Add':
        return fn('Add', (a) => (arity('Add', a, 1), new TimeValue(t.ms + duration(a[0], 'Add').ns / 1e6)));
      case 'Before':
        return fn('Before', (a) => t.ms < other('Before', a));
      case 'After':
        return fn('After', (a) => t.ms > other('After', a));
      case 'Equal':
        return fn('Equal', (a) => t.ms === other('Equal', a));
      case 'Unix':
        return fn('Unix', (a) => (arity('Unix', a, 0), Math.floor(t.ms / 1000)));
      case 'UTC':
      case 'Local':
        return fn(key, (a) => (arity(key, a, 0), t));
      case 'Format':
        return fn('Format', (a) => (arity('Format', a, 1), layout(a[0], 'Format'), formatRFC3339(t.ms)));
      case 'String':
        return fn('String', (a) => (arity('String', a, 0), formatRFC3339(t.ms)));
    }
    throw new TimeError(`a time has no member ${JSON.stringify(String(key))}`);
  }
  if (obj instanceof DurationValue) {
    const d = obj.ns;
    const unit = (name: string, size: number, whole = false) =>
      fn(name, (a) => (arity(name, a, 0), whole ? Math.trunc(d / size) : d / size));
    switch (key) {
      case 'Hours':
        return unit('Hours', NS.Hour);
      case 'Minutes':
        return unit('Minutes', NS.Minute);
      case 'Seconds':
        return unit('Seconds', NS.Second);
      case 'Milliseconds':
        return unit('Milliseconds', NS.Millisecond, true);
      case 'Nanoseconds':
        return unit('Nanoseconds', 1, true);
      case 'String':
        return fn('String', (a) => (arity('String', a, 0), formatDuration(d)));
    }
    throw new TimeError(`a duration has no member ${JSON.stringify(String(key))}`);
  }
  return undefined;
}
