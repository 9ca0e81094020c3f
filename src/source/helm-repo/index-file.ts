// A Helm repository's index.yaml, parsed off the controller's thread in a worker with a heap cap of its
// own (an index can be tens of MB), keeping only what Mooring uses: per chart, each version's digest
// and download URLs. Parsed with YAML's failsafe schema: every scalar stays a string (`1.10` is not 1.1)
// and no tag can build anything but maps, lists and strings.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { UserError } from '../../core/index.js';

/** One version of a chart in the index. */
export interface ChartVersionEntry {
  version: string;
  /** sha256 of the archive, lowercase hex, when the index gives one. */
  digest?: string;
  /** Where to download the archive: absolute, or relative to the index's URL. */
  urls: string[];
}

/** The parts of an index Mooring uses: chart name → its versions. */
export type ChartIndex = Map<string, ChartVersionEntry[]>;

/**
 * The heap of the parse worker, in MiB, for a text of `bytes`: the YAML parser needs about 50 times the
 * text (measured: 8 MiB of index parse in 512 MiB, 16 MiB in 1 GiB, 30 MiB in 1.5 GiB), held only
 * while it parses.
 */
export function indexWorkerHeapMiB(bytes: number): number {
  return Math.min(2048, Math.max(256, Math.ceil((64 * bytes) / (1024 * 1024))));
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const YAML = require(workerData.yamlPath);
parentPort.once('message', (text) => {
  try {
    // JSON (what \`helm repo index --json\` and some servers write) parses in a fraction of the memory.
    const doc = /^\\s*\\{/.test(text)
      ? JSON.parse(text)
      : YAML.parse(text, { schema: 'failsafe', maxAliasCount: 100, uniqueKeys: false });
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('it is not a map');
    const entries = doc.entries;
    if (entries === undefined || entries === null || entries === '') { parentPort.postMessage({ charts: [] }); return; }
    if (typeof entries !== 'object' || Array.isArray(entries)) throw new Error('"entries" is not a map');
    const charts = [];
    for (const [name, list] of Object.entries(entries)) {
      if (!Array.isArray(list)) continue;
      const versions = [];
      for (const e of list) {
        if (!e || typeof e !== 'object' || typeof e.version !== 'string') continue;
        const urls = Array.isArray(e.urls) ? e.urls.filter((u) => typeof u === 'string') : [];
        const digest = typeof e.digest === 'string' && /^[0-9a-fA-F]{64}$/.test(e.digest.replace(/^sha256:/, ''))
          ? e.digest.replace(/^sha256:/, '').toLowerCase() : undefined;
        versions.push({ version: e.version, digest, urls });
      }
      charts.push([name, versions]);
    }
    parentPort.postMessage({ charts });
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e).split('\\n')[0] });
  }
});
`;

let yamlPath: string | undefined;

/** Parses index.yaml text; `label` names it in errors. A document too big for the worker's heap is refused. */
export function parseIndex(
  text: string,
  label: string,
  heapMiB = indexWorkerHeapMiB(Buffer.byteLength(text)),
): Promise<ChartIndex> {
  yamlPath ??= createRequire(import.meta.url).resolve('yaml');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { yamlPath },
    resourceLimits: { maxOldGenerationSizeMb: heapMiB },
    stdout: false,
    stderr: false,
  });
  return new Promise<ChartIndex>((resolve, reject) => {
    let settled = false;
    const done = (err: Error | undefined, index?: ChartIndex) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (err) reject(err);
      else resolve(index!);
    };
    worker.on('message', (m: { charts?: [string, ChartVersionEntry[]][]; error?: string }) => {
      if (m.error !== undefined)
        done(new UserError(`${label} is not a valid Helm repository index: ${m.error}`));
      else done(undefined, new Map(m.charts));
    });
    worker.on('error', (e: Error & { code?: string }) =>
      done(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new UserError(`${label}: parsing it needed more than ${heapMiB} MiB of memory; refused`)
          : e,
      ),
    );
    worker.on('exit', () => done(new Error(`the index parser stopped before reading ${label}`)));
    worker.postMessage(text);
  });
}
