import { describe, expect, it } from 'vitest';
import { Registry } from '../core/index.js';
import { registerProcessMetrics } from './process-metrics.js';

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  if (!line) throw new Error(`no sample ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

describe('process metrics', () => {
  it('reports memory, heap, CPU and start time from this process', () => {
    const registry = new Registry();
    const m = registerProcessMetrics(registry);
    try {
      const text = registry.render();
      const rss = sample(text, 'process_resident_memory_bytes');
      // Within 20% of what Node itself says right after (the scrape allocates a little).
      expect(rss).toBeGreaterThan(process.memoryUsage.rss() * 0.8);
      expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeLessThanOrEqual(
        sample(text, 'nodejs_heap_size_total_bytes'),
      );
      expect(sample(text, 'nodejs_heap_size_limit_bytes')).toBeGreaterThan(
        sample(text, 'nodejs_heap_size_total_bytes'),
      );
      expect(text).toContain('# TYPE process_cpu_seconds_total counter');
      const startedAt = sample(text, 'process_start_time_seconds');
      expect(Math.abs(startedAt - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2);
    } finally {
      m.stop();
    }
  });

  it('counts CPU time as a counter that grows with work done', () => {
    const registry = new Registry();
    const m = registerProcessMetrics(registry);
    try {
      const before = sample(registry.render(), 'process_cpu_seconds_total');
      const until = process.cpuUsage().user + 50_000; // burn at least 50 ms of user CPU
      while (process.cpuUsage().user < until) Math.sqrt(Math.random());
      const after = sample(registry.render(), 'process_cpu_seconds_total');
      expect(after - before).toBeGreaterThanOrEqual(0.05);
      expect(sample(registry.render(), 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    } finally {
      m.stop();
    }
  });

  it('shows an event-loop stall in the lag gauges, then starts a new window', async () => {
    const registry = new Registry();
    const m = registerProcessMetrics(registry);
    try {
      await new Promise((r) => setTimeout(r, 30));
      const blockUntil = Date.now() + 120;
      while (Date.now() < blockUntil) Math.sqrt(Math.random());
      await new Promise((r) => setTimeout(r, 30));
      const text = registry.render();
      const stall = sample(text, 'nodejs_eventloop_lag_max_seconds');
      expect(stall).toBeGreaterThanOrEqual(0.1);
      expect(sample(text, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
      // The window restarted at the scrape: the stall is not reported twice.
      await new Promise((r) => setTimeout(r, 50));
      expect(sample(registry.render(), 'nodejs_eventloop_lag_max_seconds')).toBeLessThan(stall);
    } finally {
      m.stop();
    }
  });

  it('times garbage collections by V8 kind', async () => {
    const registry = new Registry();
    const m = registerProcessMetrics(registry);
    try {
      // Enough short-lived garbage to force scavenges (minor GCs) without --expose-gc.
      let keep = 0;
      for (let i = 0; i < 200; i++) keep += new Array(50_000).fill(i).length;
      expect(keep).toBe(200 * 50_000);
      await new Promise((r) => setTimeout(r, 50)); // GC entries are delivered asynchronously
      const text = registry.render();
      const counts = text.split('\n').filter((l) => l.startsWith('nodejs_gc_duration_seconds_count{'));
      expect(counts.length).toBeGreaterThan(0);
      for (const line of counts)
        expect(line).toMatch(/\{kind="(major|minor|incremental|weakcb|other)"\} \d+/);
      expect(counts.reduce((n, l) => n + Number(l.split(' ')[1]), 0)).toBeGreaterThan(0);
    } finally {
      m.stop();
    }
  });
});
