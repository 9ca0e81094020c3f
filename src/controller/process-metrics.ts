// Process health for /metrics: memory, CPU, event-loop lag and garbage collection, under the names the
// Prometheus Node.js client made common (process_*, nodejs_*), so stock Node dashboards and alerts work.
// Label values are bounded: GC `kind` is one of four V8 kinds; nothing else here carries labels.
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Counter, Registry } from '../core/index.js';

/** Handles to the process metrics and the observers behind them. */
export interface ProcessMetrics {
  /** Stops the event-loop and GC observers (idempotent). */
  stop(): void;
}

// V8's GC kinds (perf_hooks NODE_PERFORMANCE_GC_*): a fixed set, so the `kind` label stays bounded.
const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

// GC pauses run from tens of microseconds (scavenges) to around a second (a major GC of a big heap).
const GC_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1];

// The event-loop sampling interval: stalls worth alerting on last seconds, so 20 ms is ample; measured
// idle cost ~0.6 ms of CPU per second at 20 ms (1.2 ms at 10 ms), i.e. ~0.04 CPU-s per minute.
const LOOP_RESOLUTION_MS = 20;

/** Registers process and Node.js runtime metrics on a registry; call stop() when the process winds down. */
export function registerProcessMetrics(registry: Registry): ProcessMetrics {
  const startSeconds = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();

  // CPU counters read their value at scrape time (a counter whose value is the OS's running total).
  atScrape(
    registry.counter({ name: 'process_cpu_user_seconds_total', help: 'User CPU time spent, in seconds.' }),
    () => process.cpuUsage().user / 1e6,
  );
  atScrape(
    registry.counter({
      name: 'process_cpu_system_seconds_total',
      help: 'System CPU time spent, in seconds.',
    }),
    () => process.cpuUsage().system / 1e6,
  );
  atScrape(
    registry.counter({
      name: 'process_cpu_seconds_total',
      help: 'User and system CPU time spent, in seconds.',
    }),
    () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    },
  );

  registry.gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size, in bytes.',
    collect: (g) => g.set(process.memoryUsage.rss()),
  });
  registry.gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since the Unix epoch, in seconds.',
    collect: (g) => g.set(startSeconds),
  });
  registry.gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'V8 heap in use, in bytes.',
    collect: (g) => g.set(process.memoryUsage().heapUsed),
  });
  registry.gauge({
    name: 'nodejs_heap_size_total_bytes',
    help: 'V8 heap reserved, in bytes.',
    collect: (g) => g.set(process.memoryUsage().heapTotal),
  });
  registry.gauge({
    name: 'nodejs_heap_size_limit_bytes',
    help: 'The V8 heap size limit (--max-old-space-size), in bytes: alert when used approaches it.',
    collect: (g) => g.set(v8.getHeapStatistics().heap_size_limit),
  });
  registry.gauge({
    name: 'nodejs_external_memory_bytes',
    help: 'Memory held outside the V8 heap by JavaScript objects (Buffers), in bytes.',
    collect: (g) => g.set(process.memoryUsage().external),
  });
  // Lag since the previous scrape: the histogram restarts after each read, so a stall shows once.
  const lagSeconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
  registry.gauge({
    name: 'nodejs_eventloop_lag_max_seconds',
    help: 'Longest event-loop delay since the previous scrape, in seconds.',
    collect: (g) => g.set(lagSeconds(loop.max)),
  });
  registry.gauge({
    name: 'nodejs_eventloop_lag_mean_seconds',
    help: 'Mean event-loop delay since the previous scrape, in seconds.',
    collect: (g) => g.set(lagSeconds(loop.mean)),
  });
  registry.gauge({
    name: 'nodejs_eventloop_lag_p99_seconds',
    help: '99th percentile of event-loop delay since the previous scrape, in seconds.',
    collect: (g) => {
      g.set(lagSeconds(loop.percentile(99)));
      // The last lag gauge rendered (names sort max, mean, p99): start a fresh window.
      loop.reset();
    },
  });

  const gc = registry.histogram({
    name: 'nodejs_gc_duration_seconds',
    help: 'Garbage collection pauses, by kind (major, minor, incremental, weakcb), in seconds.',
    labelNames: ['kind'],
    buckets: GC_BUCKETS,
  });
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // `detail` is on gc entries since Node 16; the typings of PerformanceEntry lack it.
      const detail = (entry as { detail?: { kind?: number } }).detail;
      const kind = GC_KINDS[detail?.kind ?? -1] ?? 'other';
      gc.observe({ kind }, entry.duration / 1000);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      loop.disable();
      gcObserver.disconnect();
    },
  };
}

// A counter that reads a monotonic total at render time (the registry has no collect hook for counters).
function atScrape(counter: Counter, total: () => number): void {
  const samples = counter.samples.bind(counter);
  counter.samples = () => {
    const delta = total() - counter.get();
    if (delta > 0) counter.inc(delta);
    return samples();
  };
}
