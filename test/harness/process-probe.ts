// Watches a child process from outside, as a kubelet would: its resident memory (from
// /proc/<pid>/status) and how long its /healthz takes to answer. Tests of hostile inputs start it
// beside the controller and assert the peak and the slowest answer with generous bounds.
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

/** What a probe saw between start and stop. */
export interface ProbeReport {
  /** Highest resident set size seen, in MiB: the larger of the sampled VmRSS and the kernel's VmHWM. */
  peakRssMiB: number;
  /** Slowest /healthz answer in ms; an answer that never came (or failed) counts as the timeout. */
  slowestHealthzMs: number;
  /** When the slowest /healthz request was sent, in ms since the probe started. */
  slowestHealthzAtMs: number;
  /** Number of /healthz polls that did not answer 200 within the timeout. */
  failedHealthz: number;
  /** Number of /healthz polls made. */
  healthzPolls: number;
  /** Every memory sample taken, in order. */
  samples: ProbeSample[];
}

/** One memory sample. */
export interface ProbeSample {
  /** ms since the probe started. */
  atMs: number;
  rssMiB: number;
  /** Peak RSS so far as the kernel counts it (VmHWM). */
  hwmMiB: number;
}

/** A running probe; `stop()` ends sampling and resolves to what it saw. */
export interface ProcessProbe {
  stop(): Promise<ProbeReport>;
  /** What the probe has seen so far, without stopping it. */
  snapshot(): ProbeReport;
}

/** Options of `startProcessProbe`; every field has a default. */
export interface ProcessProbeOptions {
  /** How often RSS is sampled and /healthz polled. Default 100 ms. */
  intervalMs?: number;
  /** How long a /healthz answer may take before it counts as failed (and as this long). Default 5000 ms. */
  healthzTimeoutMs?: number;
}

/** Reads VmRSS and VmHWM (kB in /proc) of a process, in MiB; undefined once the process is gone. */
export async function readProcessMemory(
  pid: number,
): Promise<{ rssMiB: number; hwmMiB: number } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024 };
}

// The /healthz poller runs in a worker thread of its own, so time the test process spends on its own
// work (building a 100 MB commit, say) is never counted as the controller's slowness.
const HEALTHZ_POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, intervalMs, timeoutMs } = workerData;
let stopped = false;
parentPort.on('message', () => { stopped = true; });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const started = Date.now();
  let slowest = 0, slowestAt = 0, failed = 0, polls = 0;
  while (!stopped) {
    const t0 = Date.now();
    let ok = false;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer();
      ok = res.status === 200;
    } catch {}
    const took = ok ? Date.now() - t0 : Math.max(timeoutMs, Date.now() - t0);
    polls++;
    if (!ok) failed++;
    if (took > slowest) { slowest = took; slowestAt = t0 - started; }
    parentPort.postMessage({ slowest, slowestAt, failed, polls });
    await sleep(Math.max(0, intervalMs - (Date.now() - t0)));
  }
  parentPort.postMessage({ slowest, slowestAt, failed, polls, done: true });
})();
`;

interface HealthzSeen {
  slowest: number;
  slowestAt: number;
  failed: number;
  polls: number;
  done?: boolean;
}

/**
 * Starts sampling the memory of `pid` every ~100 ms and polling `healthzUrl` from a worker thread (one
 * request in flight at a time: a hung answer is timed until it answers or times out, and counts as its
 * full duration).
 */
export function startProcessProbe(
  pid: number,
  healthzUrl: string,
  opts: ProcessProbeOptions = {},
): ProcessProbe {
  const intervalMs = opts.intervalMs ?? 100;
  const timeoutMs = opts.healthzTimeoutMs ?? 5000;
  const started = Date.now();
  const samples: ProbeSample[] = [];
  let peakRssMiB = 0;
  let healthz: HealthzSeen = { slowest: 0, slowestAt: 0, failed: 0, polls: 0 };
  let stopped = false;

  const poller = new Worker(HEALTHZ_POLLER, {
    eval: true,
    workerData: { url: healthzUrl, intervalMs, timeoutMs },
  });
  const pollerDone = new Promise<void>((resolve, reject) => {
    poller.on('message', (m: HealthzSeen) => {
      healthz = m;
      if (m.done) resolve();
    });
    poller.on('error', reject);
    poller.on('exit', () => resolve());
  });

  const sampleMemory = async (): Promise<void> => {
    while (!stopped) {
      const mem = await readProcessMemory(pid);
      if (mem) {
        samples.push({ atMs: Date.now() - started, ...mem });
        peakRssMiB = Math.max(peakRssMiB, mem.rssMiB, mem.hwmMiB);
      }
      await sleep(intervalMs);
    }
  };
  const sampling = sampleMemory();

  const snapshot = (): ProbeReport => ({
    peakRssMiB: Math.round(peakRssMiB * 10) / 10,
    slowestHealthzMs: healthz.slowest,
    slowestHealthzAtMs: healthz.slowestAt,
    failedHealthz: healthz.failed,
    healthzPolls: healthz.polls,
    samples: [...samples],
  });
  return {
    snapshot,
    async stop() {
      stopped = true;
      poller.postMessage('stop');
      await Promise.all([sampling, pollerDone]);
      await poller.terminate();
      // One last read: VmHWM keeps a peak that fell between two samples.
      const mem = await readProcessMemory(pid);
      if (mem) peakRssMiB = Math.max(peakRssMiB, mem.rssMiB, mem.hwmMiB);
      return snapshot();
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
