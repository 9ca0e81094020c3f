// A tiny dependency-free Prometheus registry: counters, gauges and histograms, rendered in the text
// exposition format 0.0.4. Enough for one process's /metrics; no summaries, exemplars or OpenMetrics.
import type { Logger } from './logger.js';
import { isRecord } from './kube-object.js';

/** The Content-Type of Registry.render()'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Default histogram buckets, in seconds: from 5 ms (a cached render) to a minute (a slow fetch). */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** One value per label name. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

// Metrics without labels take no labels argument; labelled ones require it (checked by the compiler).
type WithLabels<L extends string, Rest extends unknown[]> = [L] extends [never]
  ? Rest
  : [labels: Labels<L>, ...Rest];

/** What every metric is declared with. */
export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** A gauge's options: `collect` (re)sets its values each time the registry renders. */
export interface GaugeOptions<L extends string> extends MetricOptions<L> {
  collect?: (gauge: Gauge<L>) => void;
}

/** A histogram's options: upper bounds, ascending (`+Inf` is implicit). */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  buckets?: readonly number[];
}

// What the registry needs of any metric, whatever its labels.
interface Registered {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  samples(): string[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

// Label values are kept once per label name (each distinct value once, with a small id) and each
// series is keyed by its values' ids, packed into a short string: ~11 bytes for 9 labels instead of
// their JSON and an array of the values (see bench/metrics-memory.ts). Values are read back at scrape.
class LabelValues {
  private readonly ids = new Map<string, number>();
  private readonly values: string[] = [];

  /** The id of `value`, given one on first sight when `add`. */
  id(value: string, add: boolean): number | undefined {
    let id = this.ids.get(value);
    if (id === undefined && add) {
      id = this.values.length;
      this.ids.set(value, id);
      this.values.push(value);
    }
    return id;
  }

  value(id: number): string {
    return this.values[id]!;
  }

  clear(): void {
    this.ids.clear();
    this.values.length = 0;
  }
}

abstract class Metric<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  /** Each series' data, by its packed key (see keyOf). */
  protected readonly series = new Map<string, S>();
  private readonly labelValues: LabelValues[];
  // Reused while packing a key: 7 bits per code unit, the high bit set on all but an id's last one.
  private readonly codes: number[] = [];

  constructor(opts: MetricOptions<L>, reserved: readonly string[] = []) {
    if (!METRIC_NAME.test(opts.name)) throw new Error(`invalid metric name "${opts.name}"`);
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = [...(opts.labelNames ?? [])];
    for (const [i, label] of this.labelNames.entries()) {
      if (!LABEL_NAME.test(label) || label.startsWith('__') || reserved.includes(label)) {
        throw new Error(`${this.name}: invalid label name "${label}"`);
      }
      if (this.labelNames.indexOf(label) !== i)
        throw new Error(`${this.name}: duplicate label name "${label}"`);
    }
    this.labelValues = this.labelNames.map(() => new LabelValues());
  }

  /** Forgets every series (labelled values vanish from the output until set again). */
  reset(): void {
    this.series.clear();
    for (const values of this.labelValues) values.clear();
  }

  /** The sample lines, without HELP and TYPE. */
  abstract samples(): string[];

  // The key of the series for some labels; `add: false` gives undefined for a series never made.
  protected keyOf(labels: unknown, add: boolean): string | undefined {
    if (!isRecord(labels)) throw new Error(`${this.name}: labels required: ${this.labelNames.join(', ')}`);
    for (const key of Object.keys(labels)) {
      if (!(this.labelNames as readonly string[]).includes(key))
        throw new Error(`${this.name}: unknown label "${key}"`);
    }
    for (const name of this.labelNames) {
      if (typeof labels[name] !== 'string') throw new Error(`${this.name}: label "${name}" must be a string`);
    }
    const codes = this.codes;
    codes.length = 0;
    for (let i = 0; i < this.labelNames.length; i++) {
      let id = this.labelValues[i]!.id(labels[this.labelNames[i]!] as string, add);
      if (id === undefined) return undefined;
      for (; id >= 0x80; id = Math.floor(id / 0x80)) codes.push(0x80 | (id % 0x80));
      codes.push(id);
    }
    // One flat one-byte string (no concatenation: a cons string would keep its pieces as the key).
    return String.fromCharCode(...codes);
  }

  // The label values a key stands for, in label-name order.
  private valuesOf(key: string): string[] {
    let at = 0;
    return this.labelValues.map((values) => {
      let id = 0;
      for (let scale = 1, code = 0x80; code >= 0x80; scale *= 0x80) {
        code = key.charCodeAt(at++);
        id += (code % 0x80) * scale;
      }
      return values.value(id);
    });
  }

  // The series in a stable order: by label values, in label-name order.
  protected sorted(): { values: string[]; data: S }[] {
    return [...this.series]
      .map(([key, data]) => ({ values: this.valuesOf(key), data }))
      .sort((a, b) => compareLists(a.values, b.values));
  }

  protected labelText(values: readonly string[], extra?: [string, string]): string {
    const pairs = this.labelNames.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`);
    if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
    return pairs.length ? `{${pairs.join(',')}}` : '';
  }

  // Splits `(labels, value)` or `(value)` by whether the metric has labels.
  protected split(args: readonly unknown[]): [unknown, unknown] {
    return this.labelNames.length ? [args[0], args[1]] : [{}, args[0]];
  }
}

// A counter's or gauge's series: a plain number each (no object per series).
abstract class Scalar<L extends string> extends Metric<L, number> {
  protected add(labels: unknown, value: number): void {
    const key = this.keyOf(labels, true)!;
    this.series.set(key, (this.series.get(key) ?? 0) + value);
  }

  protected current(labels: unknown): number {
    const key = this.keyOf(labels, false);
    return key === undefined ? 0 : (this.series.get(key) ?? 0);
  }

  protected lines(): string[] {
    return this.sorted().map((s) => `${this.name}${this.labelText(s.values)} ${formatNumber(s.data)}`);
  }
}

/** A value that only goes up (reset on restart): requests, failures, syncs. */
export class Counter<L extends string = never> extends Scalar<L> {
  readonly type = 'counter';

  /** Adds `value` (default 1, never negative). */
  inc(...args: WithLabels<L, [value?: number]>): void {
    const [labels, value = 1] = this.split(args);
    if (typeof value !== 'number') throw new Error(`${this.name}: value must be a number`);
    if (!(value >= 0)) throw new Error(`${this.name}: counters only go up`);
    this.add(labels, value);
  }

  /** The current value (0 when never incremented). */
  get(...args: WithLabels<L, []>): number {
    return this.current(this.split(args)[0]);
  }

  samples(): string[] {
    // An unlabelled counter exists from the start, so rate() works before the first event.
    if (!this.labelNames.length && !this.series.size) return [`${this.name} 0`];
    return this.lines();
  }
}

/** A value that goes up and down, set directly or computed by a collect callback at scrape time. */
export class Gauge<L extends string = never> extends Scalar<L> {
  readonly type = 'gauge';
  /** Called (after reset) by Registry.render, when given. */
  readonly collect: ((gauge: Gauge<L>) => void) | undefined;

  constructor(opts: GaugeOptions<L>) {
    super(opts);
    this.collect = opts.collect;
  }

  /** Sets the value. */
  set(...args: WithLabels<L, [value: number]>): void {
    const [labels, value] = this.split(args);
    if (typeof value !== 'number') throw new Error(`${this.name}: value must be a number`);
    this.series.set(this.keyOf(labels, true)!, value);
  }

  /** Adds `value` (default 1). */
  inc(...args: WithLabels<L, [value?: number]>): void {
    const [labels, value = 1] = this.split(args);
    if (typeof value !== 'number') throw new Error(`${this.name}: value must be a number`);
    this.add(labels, value);
  }

  /** Subtracts `value` (default 1). */
  dec(...args: WithLabels<L, [value?: number]>): void {
    const [labels, value = 1] = this.split(args);
    if (typeof value !== 'number') throw new Error(`${this.name}: value must be a number`);
    this.add(labels, -value);
  }

  /** The current value (0 when never set). */
  get(...args: WithLabels<L, []>): number {
    return this.current(this.split(args)[0]);
  }

  samples(): string[] {
    if (!this.labelNames.length && !this.series.size && !this.collect) return [`${this.name} 0`];
    return this.lines();
  }
}

/** Observations counted into cumulative buckets, with their sum and count: durations, sizes. */
export class Histogram<L extends string = never> extends Metric<L, number[]> {
  readonly type = 'histogram';
  /** The upper bounds, ascending, without `+Inf`. */
  readonly buckets: readonly number[];

  constructor(opts: HistogramOptions<L>) {
    super(opts, ['le']);
    const buckets = (opts.buckets ?? DEFAULT_BUCKETS).filter((b) => b !== Infinity);
    if (buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!))) {
      throw new Error(`${this.name}: buckets must be finite and strictly increasing`);
    }
    this.buckets = buckets;
  }

  /** Records one observation. */
  observe(...args: WithLabels<L, [value: number]>): void {
    const [labels, value] = this.split(args);
    if (typeof value !== 'number' || Number.isNaN(value))
      throw new Error(`${this.name}: value must be a number`);
    const key = this.keyOf(labels, true)!;
    let data = this.series.get(key);
    if (!data) this.series.set(key, (data = this.empty()));
    const i = this.buckets.findIndex((b) => value <= b);
    const n = this.buckets.length;
    data[i < 0 ? n : i]! += 1;
    data[n + 1]! += value;
    data[n + 2]! += 1;
  }

  samples(): string[] {
    const series = this.sorted();
    if (!this.labelNames.length && !series.length) series.push({ values: [], data: this.empty() });
    const n = this.buckets.length;
    const lines: string[] = [];
    for (const { values, data } of series) {
      let cumulative = 0;
      [...this.buckets, Infinity].forEach((le, i) => {
        cumulative += data[i]!;
        lines.push(`${this.name}_bucket${this.labelText(values, ['le', formatNumber(le)])} ${cumulative}`);
      });
      lines.push(`${this.name}_sum${this.labelText(values)} ${formatNumber(data[n + 1]!)}`);
      lines.push(`${this.name}_count${this.labelText(values)} ${data[n + 2]}`);
    }
    return lines;
  }

  // One array per series: a count per bucket plus the +Inf one (not cumulative: render adds them
  // up), then the sum and the count.
  private empty(): number[] {
    return new Array<number>(this.buckets.length + 3).fill(0);
  }
}

/** The metrics of one process, rendered for Prometheus. */
export class Registry {
  private readonly metrics = new Map<string, Registered>();

  /** `logger` hears about collect callbacks that throw (their gauge is then left out of one scrape). */
  constructor(private readonly opts: { logger?: Logger } = {}) {}

  /** Registers a counter. */
  counter<L extends string = never>(opts: MetricOptions<L>): Counter<L> {
    return this.add(new Counter<L>(opts));
  }

  /** Registers a gauge. */
  gauge<L extends string = never>(opts: GaugeOptions<L>): Gauge<L> {
    return this.add(new Gauge<L>(opts));
  }

  /** Registers a histogram. */
  histogram<L extends string = never>(opts: HistogramOptions<L>): Histogram<L> {
    return this.add(new Histogram<L>(opts));
  }

  /** Every metric in the text exposition format, sorted by name; runs gauges' collect callbacks first. */
  render(): string {
    const out: string[] = [];
    for (const name of [...this.metrics.keys()].sort()) {
      const metric = this.metrics.get(name)!;
      out.push(`# HELP ${name} ${escapeHelp(metric.help)}`, `# TYPE ${name} ${metric.type}`);
      if (metric instanceof Gauge && metric.collect) {
        // Reset first, so series that no longer exist (an emptied status) disappear.
        metric.reset();
        try {
          metric.collect(metric);
        } catch (err) {
          metric.reset();
          this.opts.logger?.warn('metric collection failed', { metric: name, error: String(err) });
          continue;
        }
      }
      out.push(...metric.samples());
    }
    return out.length ? out.join('\n') + '\n' : '';
  }

  private add<M extends Registered>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric "${metric.name}" is already registered`);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

/** Starts a stopwatch on the monotonic clock: the returned function gives the seconds elapsed since. */
export function startTimer(): () => number {
  const start = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - start) / 1e9;
}

/** A sample value as Prometheus spells it: `+Inf`, `-Inf`, `NaN`, else the shortest decimal. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function compareLists(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}
