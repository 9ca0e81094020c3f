// Watches a child process from outside, as a kubelet would: its resident memory (from
// /proc/<pid>/status) and how long its /healthz takes to answer. Tests of hostile inputs start it
// beside the controller and assert the peak and the slowest answer with generous bounds.
import { readFile } from 'node:fs/promises';

/** What a probe saw between start and stop. */
export interface ProbeReport {
  /** Highest resident set size seen, in MiB: the larger of the sampled VmRSS and the kernel's VmHWM. */
  peakRssMiB: number;
  /** Slowest /healthz answer in ms; an answer that never came (or failed) counts as the timeout. */
  slowestHealthzMs: number;
  /** Number of /healthz polls that did not answer 200 within the timeout. */
  failedHealthz: number;
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

/**
 * Starts sampling the memory of `pid` every ~100 ms and polling `healthzUrl` (one request in flight
 * at a time: a hung answer is timed until it answers or times out, and counts as its full duration).
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
  let slowestHealthzMs = 0;
  let failedHealthz = 0;
  let stopped = false;

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

  const pollHealthz = async (): Promise<void> => {
    while (!stopped) {
      const t0 = Date.now();
      let ok = false;
      try {
        const res = await fetch(healthzUrl, { signal: AbortSignal.timeout(timeoutMs) });
        await res.arrayBuffer();
        ok = res.status === 200;
      } catch {
        ok = false;
      }
      const took = ok ? Date.now() - t0 : Math.max(timeoutMs, Date.now() - t0);
      if (!ok) failedHealthz++;
      slowestHealthzMs = Math.max(slowestHealthzMs, took);
      await sleep(Math.max(0, intervalMs - (Date.now() - t0)));
    }
  };

  const loops = Promise.all([sampleMemory(), pollHealthz()]);
  const snapshot = (): ProbeReport => ({
    peakRssMiB: Math.round(peakRssMiB * 10) / 10,
    slowestHealthzMs,
    failedHealthz,
    samples: [...samples],
  });
  return {
    snapshot,
    async stop() {
      stopped = true;
      await loops;
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
