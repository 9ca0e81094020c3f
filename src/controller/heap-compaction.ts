// Gives memory back after a burst of work. V8 grows its heap to fit a burst (a cold start's first pass
// over thousands of apps, a wave of syncs) and then keeps it: at rest it allocates too little to run a
// full GC, and a plain full GC frees the garbage but not the pages, which stay half-empty (measured:
// 10,000 apps left a 664 MiB heap holding 395 MiB). One compacting GC once the work is done moves the
// survivors together and returns the emptied pages (docs/benchmarks.md).
import v8 from 'node:v8';
import vm from 'node:vm';

/** When and how the heap is compacted; the defaults suit a controller (injected in tests). */
export interface HeapCompactionOptions {
  /** V8's heap size now, in bytes (default: v8.getHeapStatistics().total_heap_size). */
  heapSize?: () => number;
  /** Runs one compacting full GC (default: compactHeap). */
  compact?: () => void;
  /** True when nothing is being worked on: a compaction never pauses a running pass. */
  idle: () => boolean;
  /** Growth since the last compaction that counts as a burst: this many bytes (default 64 MiB)… */
  minGrowthBytes?: number;
  /** …and this share of the size after it (default 0.25). */
  minGrowthRatio?: number;
  /** Compactions are at least this far apart (default 5 minutes). */
  minIntervalMs?: number;
  now?: () => number;
}

/** Decides, on each check, whether the heap grew by a burst since the last compaction and work is idle. */
export class HeapCompaction {
  private baseline: number;
  private last = Number.NEGATIVE_INFINITY;
  private readonly heapSize: () => number;
  private readonly now: () => number;

  constructor(private readonly opts: HeapCompactionOptions) {
    this.heapSize = opts.heapSize ?? (() => v8.getHeapStatistics().total_heap_size);
    this.now = opts.now ?? (() => performance.now());
    this.baseline = this.heapSize();
  }

  /** Compacts when the heap grew by a burst, work is idle and the last compaction is old enough; true if it did. */
  check(): boolean {
    const size = this.heapSize();
    const growth = size - this.baseline;
    if (growth < (this.opts.minGrowthBytes ?? 64 * 2 ** 20)) return false;
    if (growth < this.baseline * (this.opts.minGrowthRatio ?? 0.25)) return false;
    if (this.now() - this.last < (this.opts.minIntervalMs ?? 300_000)) return false;
    if (!this.opts.idle()) return false;
    (this.opts.compact ?? compactHeap)();
    this.last = this.now();
    this.baseline = this.heapSize();
    return true;
  }

  /** Checks every intervalMs (default 30 s) until the returned function is called; the timer keeps no process alive. */
  every(intervalMs = 30_000): () => void {
    const timer = setInterval(() => this.check(), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

let collect: (() => void) | undefined;

/**
 * One full GC that compacts every page it can, then the usual GCs again. V8 exposes no API for it, so
 * this turns on `gc()` (reachable in a new context only, not as a global) and compaction for the one call.
 */
export function compactHeap(): void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  v8.setFlagsFromString('--compact-on-every-full-gc');
  try {
    collect();
  } finally {
    v8.setFlagsFromString('--no-compact-on-every-full-gc');
  }
}
