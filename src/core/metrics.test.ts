import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from './logger.js';
import { DEFAULT_BUCKETS, formatNumber, Registry, startTimer } from './metrics.js';

afterEach(() => vi.useRealTimers());

describe('Counter', () => {
  it('renders labelled series sorted by label values, with escaped values', () => {
    const registry = new Registry();
    const syncs = registry.counter({ name: 'app_sync_total', help: 'Syncs.', labelNames: ['phase', 'kind'] });
    syncs.inc({ phase: 'Succeeded', kind: 'auto' });
    syncs.inc({ kind: 'auto', phase: 'Failed' }, 2);
    syncs.inc({ phase: 'Succeeded', kind: 'auto' });
    syncs.inc({ phase: 'Error', kind: 'say "hi"\\\nbye' });
    expect(syncs.get({ phase: 'Succeeded', kind: 'auto' })).toBe(2);
    expect(syncs.get({ phase: 'Running', kind: 'auto' })).toBe(0);
    expect(registry.render()).toBe(
      [
        '# HELP app_sync_total Syncs.',
        '# TYPE app_sync_total counter',
        'app_sync_total{phase="Error",kind="say \\"hi\\"\\\\\\nbye"} 1',
        'app_sync_total{phase="Failed",kind="auto"} 2',
        'app_sync_total{phase="Succeeded",kind="auto"} 2',
        '',
      ].join('\n'),
    );
  });

  it('renders thousands of series in label-value order, whatever order they were made in', () => {
    // Enough values that a label's values get large ids (stored apart, read back at scrape), with
    // prefixes, the empty string, non-ASCII values and characters that need escaping.
    const names = Array.from({ length: 20_000 }, (_, i) => `app-${i}`);
    const kinds = ['', 'deployments', 'deployment', 'é', '日本', 'a"b', 'z\\', 'Z\n'];
    let seed = 7;
    const random = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    // Every name once (ids up to 19,999: three bytes each), in shuffled order, then 10,000 more at random.
    const order = [...names];
    for (let i = order.length - 1; i > 0; i--) {
      const j = random(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let i = 0; i < 10_000; i++) order.push(names[random(names.length)]!);
    const made = order.map((name, i) => ({ name, kind: kinds[random(kinds.length)]!, value: i + 1 }));
    const registry = new Registry();
    const requests = registry.counter({ name: 'req_total', help: 'R.', labelNames: ['name', 'kind'] });
    const totals = new Map<string, { name: string; kind: string; value: number }>();
    for (const m of made) {
      requests.inc({ name: m.name, kind: m.kind }, m.value);
      const key = `${m.name}\u0000${m.kind}`;
      const total = totals.get(key) ?? { ...m, value: 0 };
      totals.set(key, { ...total, value: total.value + m.value });
    }
    const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const expected = [...totals.values()]
      .sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.kind < b.kind ? -1 : 1))
      .map((t) => `req_total{name="${escape(t.name)}",kind="${escape(t.kind)}"} ${t.value}`);
    expect(expected.length).toBeGreaterThan(20_000);
    const lines = registry.render().split('\n').slice(2, -1);
    expect(lines.length).toBe(expected.length);
    // The first line out of place (a diff of 20,000 lines would take long to print).
    const wrong = expected.findIndex((line, i) => lines[i] !== line);
    expect(wrong < 0 ? 'none' : `line ${wrong}: ${lines[wrong]}, expected ${expected[wrong]}`).toBe('none');
    const last = made.at(-1)!;
    expect(requests.get({ name: last.name, kind: last.kind })).toBe(
      totals.get(`${last.name}\u0000${last.kind}`)!.value,
    );
  });

  it('get() of labels never recorded is 0 and makes no series; reset forgets values too', () => {
    const registry = new Registry();
    const c = registry.counter({ name: 'c_total', help: 'C.', labelNames: ['a', 'b'] });
    c.inc({ a: 'x', b: 'y' });
    expect(c.get({ a: 'x', b: 'new' })).toBe(0);
    expect(c.get({ a: 'y', b: 'x' })).toBe(0);
    expect(registry.render()).toBe('# HELP c_total C.\n# TYPE c_total counter\nc_total{a="x",b="y"} 1\n');
    c.reset();
    c.inc({ a: 'y', b: 'x' }, 2);
    expect(c.get({ a: 'x', b: 'y' })).toBe(0);
    expect(registry.render()).toBe('# HELP c_total C.\n# TYPE c_total counter\nc_total{a="y",b="x"} 2\n');
  });

  it('starts unlabelled counters at 0 and refuses to go down or take wrong labels', () => {
    const registry = new Registry();
    const failures = registry.counter({ name: 'fetch_failures_total', help: 'Failed fetches.' });
    expect(registry.render()).toBe(
      '# HELP fetch_failures_total Failed fetches.\n# TYPE fetch_failures_total counter\nfetch_failures_total 0\n',
    );
    failures.inc();
    failures.inc(0.5);
    expect(failures.get()).toBe(1.5);
    expect(() => failures.inc(-1)).toThrow('fetch_failures_total: counters only go up');
    expect(() => failures.inc(NaN)).toThrow('counters only go up');

    const labelled = registry.counter({ name: 'requests_total', help: 'Requests.', labelNames: ['code'] });
    expect(() => labelled.inc({ code: '200', verb: 'get' } as { code: string })).toThrow(
      'requests_total: unknown label "verb"',
    );
    expect(() => labelled.inc({} as { code: string })).toThrow(
      'requests_total: label "code" must be a string',
    );
    // @ts-expect-error: labels are required when the metric has label names
    expect(() => labelled.inc()).toThrow('requests_total: labels required: code');
    // @ts-expect-error: an unlabelled counter takes no labels
    expect(() => failures.inc({ code: '1' })).toThrow('fetch_failures_total: value must be a number');
  });
});

describe('Gauge', () => {
  it('sets, increments and decrements', () => {
    const registry = new Registry();
    const inflight = registry.gauge({ name: 'inflight', help: 'In flight.', labelNames: ['verb'] });
    inflight.inc({ verb: 'patch' });
    inflight.inc({ verb: 'patch' }, 3);
    inflight.dec({ verb: 'patch' });
    inflight.set({ verb: 'get' }, -0.25);
    inflight.dec({ verb: 'list' }, 2);
    expect(inflight.get({ verb: 'patch' })).toBe(3);
    expect(registry.render()).toBe(
      [
        '# HELP inflight In flight.',
        '# TYPE inflight gauge',
        'inflight{verb="get"} -0.25',
        'inflight{verb="list"} -2',
        'inflight{verb="patch"} 3',
        '',
      ].join('\n'),
    );
    inflight.reset();
    expect(registry.render()).toBe('# HELP inflight In flight.\n# TYPE inflight gauge\n');
  });

  it('runs collect callbacks at scrape time, dropping series that no longer exist', () => {
    const registry = new Registry();
    let apps = [
      { sync: 'Synced', health: 'Healthy' },
      { sync: 'Synced', health: 'Healthy' },
      { sync: 'OutOfSync', health: 'Degraded' },
    ];
    registry.gauge({
      name: 'apps',
      help: 'Applications by status.',
      labelNames: ['sync_status', 'health_status'],
      collect: (g) => {
        for (const a of apps) g.inc({ sync_status: a.sync, health_status: a.health });
      },
    });
    const size = registry.gauge({
      name: 'cache_entries',
      help: 'Entries.',
      collect: (g) => g.set(apps.length),
    });
    const head = '# HELP apps Applications by status.\n# TYPE apps gauge\n';
    const cache = (n: number) =>
      `# HELP cache_entries Entries.\n# TYPE cache_entries gauge\ncache_entries ${n}\n`;
    expect(registry.render()).toBe(
      head +
        'apps{sync_status="OutOfSync",health_status="Degraded"} 1\n' +
        'apps{sync_status="Synced",health_status="Healthy"} 2\n' +
        cache(3),
    );
    apps = [{ sync: 'Synced', health: 'Progressing' }];
    expect(registry.render()).toBe(
      head + 'apps{sync_status="Synced",health_status="Progressing"} 1\n' + cache(1),
    );
    expect(size.get()).toBe(1);
  });

  it('leaves a gauge whose collect throws out of that scrape, and says so', () => {
    const warn = vi.fn();
    const logger = { debug() {}, info() {}, warn, error() {}, child: () => logger } as Logger;
    const registry = new Registry({ logger });
    registry.gauge({
      name: 'broken',
      help: 'Broken.',
      collect: (g) => {
        g.set(1);
        throw new Error('cache gone');
      },
    });
    registry.gauge({ name: 'empty', help: 'Collect sets nothing.', collect: () => {} });
    expect(registry.render()).toBe(
      '# HELP broken Broken.\n# TYPE broken gauge\n# HELP empty Collect sets nothing.\n# TYPE empty gauge\n',
    );
    expect(warn).toHaveBeenCalledWith('metric collection failed', {
      metric: 'broken',
      error: 'Error: cache gone',
    });
  });
});

describe('Histogram', () => {
  it('renders cumulative buckets, +Inf, sum and count per series', () => {
    const registry = new Registry();
    const h = registry.histogram({
      name: 'sync_duration_seconds',
      help: 'Sync time.',
      labelNames: ['phase'],
      buckets: [0.1, 1, 2.5],
    });
    h.observe({ phase: 'Succeeded' }, 0.1); // le is inclusive
    h.observe({ phase: 'Succeeded' }, 2);
    h.observe({ phase: 'Succeeded' }, 7);
    h.observe({ phase: 'Failed' }, 0.05);
    expect(registry.render()).toBe(
      [
        '# HELP sync_duration_seconds Sync time.',
        '# TYPE sync_duration_seconds histogram',
        'sync_duration_seconds_bucket{phase="Failed",le="0.1"} 1',
        'sync_duration_seconds_bucket{phase="Failed",le="1"} 1',
        'sync_duration_seconds_bucket{phase="Failed",le="2.5"} 1',
        'sync_duration_seconds_bucket{phase="Failed",le="+Inf"} 1',
        'sync_duration_seconds_sum{phase="Failed"} 0.05',
        'sync_duration_seconds_count{phase="Failed"} 1',
        'sync_duration_seconds_bucket{phase="Succeeded",le="0.1"} 1',
        'sync_duration_seconds_bucket{phase="Succeeded",le="1"} 1',
        'sync_duration_seconds_bucket{phase="Succeeded",le="2.5"} 2',
        'sync_duration_seconds_bucket{phase="Succeeded",le="+Inf"} 3',
        'sync_duration_seconds_sum{phase="Succeeded"} 9.1',
        'sync_duration_seconds_count{phase="Succeeded"} 3',
        '',
      ].join('\n'),
    );
  });

  it('uses the default buckets, and shows an unlabelled histogram before its first observation', () => {
    const registry = new Registry();
    const h = registry.histogram({ name: 'reconcile_seconds', help: 'Reconcile time.' });
    expect(h.buckets).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
    expect(h.buckets).toEqual(DEFAULT_BUCKETS);
    const lines = registry.render().split('\n');
    expect(lines.slice(2, 4)).toEqual([
      'reconcile_seconds_bucket{le="0.005"} 0',
      'reconcile_seconds_bucket{le="0.01"} 0',
    ]);
    expect(lines.slice(-4)).toEqual([
      'reconcile_seconds_bucket{le="+Inf"} 0',
      'reconcile_seconds_sum 0',
      'reconcile_seconds_count 0',
      '',
    ]);
    h.observe(120);
    expect(registry.render()).toContain(
      'reconcile_seconds_bucket{le="60"} 0\nreconcile_seconds_bucket{le="+Inf"} 1\n',
    );
  });

  it('refuses bad buckets, the le label and NaN', () => {
    const registry = new Registry();
    expect(() => registry.histogram({ name: 'a', help: '', buckets: [1, 1] })).toThrow(
      'a: buckets must be finite and strictly increasing',
    );
    expect(() => registry.histogram({ name: 'b', help: '', labelNames: ['le'] })).toThrow(
      'b: invalid label name "le"',
    );
    const c = registry.histogram({ name: 'c', help: '', buckets: [1, Infinity] });
    expect(c.buckets).toEqual([1]);
    expect(() => c.observe(NaN)).toThrow('c: value must be a number');
  });
});

describe('Registry', () => {
  it('orders metrics by name and escapes help text', () => {
    const registry = new Registry();
    registry.counter({ name: 'zeta_total', help: 'Last.' });
    registry.gauge({ name: 'alpha', help: 'First, with a \\ and a\nnewline "quoted".' });
    expect(registry.render()).toBe(
      [
        '# HELP alpha First, with a \\\\ and a\\nnewline "quoted".',
        '# TYPE alpha gauge',
        'alpha 0',
        '# HELP zeta_total Last.',
        '# TYPE zeta_total counter',
        'zeta_total 0',
        '',
      ].join('\n'),
    );
    expect(new Registry().render()).toBe('');
  });

  it('refuses duplicate and invalid names', () => {
    const registry = new Registry();
    registry.counter({ name: 'x_total', help: '' });
    expect(() => registry.gauge({ name: 'x_total', help: '' })).toThrow(
      'metric "x_total" is already registered',
    );
    expect(() => registry.counter({ name: 'bad-name', help: '' })).toThrow('invalid metric name "bad-name"');
    expect(() => registry.counter({ name: 'y', help: '', labelNames: ['__reserved'] })).toThrow(
      'y: invalid label name "__reserved"',
    );
    expect(() => registry.counter({ name: 'z', help: '', labelNames: ['a', 'a'] })).toThrow(
      'z: duplicate label name "a"',
    );
  });
});

describe('helpers', () => {
  it('spells numbers as Prometheus does', () => {
    expect([1, 0.005, 2.5, -3, 1e21, Infinity, -Infinity, NaN].map(formatNumber)).toEqual([
      '1',
      '0.005',
      '2.5',
      '-3',
      '1e+21',
      '+Inf',
      '-Inf',
      'NaN',
    ]);
  });

  it('startTimer gives elapsed seconds on the monotonic clock', () => {
    vi.useFakeTimers({ toFake: ['hrtime'] });
    const elapsed = startTimer();
    vi.advanceTimersByTime(1500);
    expect(elapsed()).toBe(1.5);
    vi.advanceTimersByTime(250);
    expect(elapsed()).toBe(1.75);
  });
});
