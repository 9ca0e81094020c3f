// Large YAML is parsed off the controller's thread: in a worker with a heap cap of its own, so a big
// or hostile document can neither stall the event loop (other apps' reconciles, /healthz) nor grow the
// controller's memory. The worker is plain JavaScript evaluated from a string, so it runs the same from
// the TypeScript sources (tsx, vitest) and from the build, and loads the same `yaml` package.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { UserError } from '../core/index.js';

/** One parsed, non-empty document: its value and where it came from, for messages. */
export interface ParsedDocument {
  value: unknown;
  where: string;
}

/** The heap one parse worker may use (old generation), in MiB. */
export const PARSE_WORKER_HEAP_MIB = 256;

// Mirrors documentsOf in manifests.ts (YAML 1.1 as Kubernetes reads it, timestamps left as strings,
// 1000 aliases at most, errors naming the line), posting documents in batches of about 1 MB.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Composer, LineCounter, Parser } = require(workerData.yamlPath);
const options = {
  version: '1.1',
  uniqueKeys: false,
  customTags: (tags) => tags.filter((t) => {
    const tag = typeof t === 'string' ? t : t.tag;
    const format = typeof t === 'string' ? undefined : t.format;
    return format !== 'TIME' && !String(tag).endsWith(':timestamp');
  }),
};
const firstLine = (msg) => (msg.split('\\n')[0] || msg).replace(/:\\s*$/, '');
parentPort.on('message', ({ text, source }) => {
  try {
    const lines = new LineCounter();
    const composer = new Composer(options);
    let batch = [];
    let size = 0;
    let i = 0;
    for (const doc of composer.compose(new Parser(lines.addNewLine).parse(text))) {
      i++;
      const err = doc.errors[0];
      if (err) {
        const at = lines.linePos(err.pos[0]);
        throw new Error(source + ': invalid YAML: ' + firstLine(err.message) + ' at line ' + at.line + ', column ' + at.col);
      }
      let value;
      try {
        value = doc.toJS({ maxAliasCount: 1000 });
      } catch (e) {
        throw new Error(source + ': invalid YAML: ' + firstLine(e.message));
      }
      if (value === null || value === undefined) continue;
      const range = doc.contents && doc.contents.range;
      const line = range ? lines.linePos(range[0]).line : undefined;
      batch.push({ value, where: source + ': document ' + i + (line ? ' (line ' + line + ')' : '') });
      size += range ? range[1] - range[0] : 0;
      if (size > 1e6 || batch.length >= 500) {
        parentPort.postMessage({ docs: batch });
        batch = [];
        size = 0;
      }
    }
    parentPort.postMessage({ docs: batch, done: true });
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message || e) });
  }
});
`;

let yamlPath: string | undefined;

/**
 * A worker that parses YAML streams for one render, one at a time; `close()` ends it. Each batch of
 * documents goes to `onDocuments` as it arrives (a throw there stops the parse and rejects with it).
 */
export class YamlWorker {
  private worker?: Worker;
  /** The heap cap of the running worker, in MiB. */
  private workerHeapMiB = 0;
  private pending?: {
    onDocuments: (docs: ParsedDocument[]) => void;
    resolve: () => void;
    reject: (e: Error) => void;
    source: string;
  };

  constructor(
    private readonly signal?: AbortSignal,
    /** The worker's heap cap in MiB (default PARSE_WORKER_HEAP_MIB). */
    private readonly heapMiB = PARSE_WORKER_HEAP_MIB,
  ) {}

  private start(heapMiB: number): Worker {
    yamlPath ??= createRequire(import.meta.url).resolve('yaml');
    this.workerHeapMiB = heapMiB;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { yamlPath },
      resourceLimits: { maxOldGenerationSizeMb: heapMiB },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on('message', (m: { docs?: ParsedDocument[]; done?: boolean; error?: string }) => {
      const p = this.pending;
      if (!p) return;
      if (m.error !== undefined) return this.finish(new UserError(m.error));
      try {
        if (m.docs && m.docs.length > 0) p.onDocuments(m.docs);
      } catch (e) {
        return this.finish(e as Error, true);
      }
      if (m.done) this.finish();
    });
    worker.on('error', (e: Error & { code?: string }) => {
      const source = this.pending?.source ?? 'YAML';
      this.finish(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new UserError(`${source}: parsing it needed more than ${this.workerHeapMiB} MiB of memory`)
          : e,
        true,
      );
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.finish(new Error('the YAML worker stopped'));
    });
    return worker;
  }

  /** Ends the current parse: with an error (and the worker, when `kill`), or successfully. */
  private finish(err?: Error, kill = false): void {
    const p = this.pending;
    this.pending = undefined;
    if (kill && this.worker) {
      const w = this.worker;
      this.worker = undefined;
      void w.terminate();
    }
    if (!p) return;
    if (err) p.reject(err);
    else p.resolve();
  }

  /** Parses one YAML stream, handing its documents over in batches. */
  parse(text: string, source: string, onDocuments: (docs: ParsedDocument[]) => void): Promise<void> {
    this.signal?.throwIfAborted();
    if (this.pending) throw new Error('YamlWorker.parse called while a parse is running');
    // The text itself must fit the worker's heap with room to parse (an operator may raise
    // --max-manifest-bytes past the default cap): a message larger than the heap would be fatal.
    const heapMiB = Math.max(this.heapMiB, Math.ceil((3 * text.length) / (1024 * 1024)) + 64);
    if (this.worker && this.workerHeapMiB < heapMiB) void this.close();
    this.worker ??= this.start(heapMiB);
    const worker = this.worker;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => this.finish(this.signal!.reason as Error, true);
      this.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => this.signal?.removeEventListener('abort', onAbort);
      this.pending = {
        onDocuments,
        source,
        resolve: () => (cleanup(), resolve()),
        reject: (e) => (cleanup(), reject(e)),
      };
      worker.postMessage({ text, source });
    });
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
