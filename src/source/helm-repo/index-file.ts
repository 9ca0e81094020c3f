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
 * The heap cap of the parse worker, in MiB, for a text of `bytes`. An index in the layout `helm repo
 * index` writes is parsed chart by chart and needs little more than its text (30 MiB parse within 256
 * MiB); any other layout is parsed whole, which takes about 50 times the text (16 MiB in 1 GiB), so
 * such an index over about 16 MiB is refused rather than allowed to take the controller's memory.
 */
export function indexWorkerHeapMiB(bytes: number): number {
  return Math.min(1024, Math.max(256, Math.ceil((64 * bytes) / (1024 * 1024))));
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const YAML = require(workerData.yamlPath);
const OPTIONS = { schema: 'failsafe', maxAliasCount: 100, uniqueKeys: false };

// Splits a block-style index (the layout \`helm repo index\` writes) into one small YAML text per chart,
// so the parser holds one chart's versions at a time instead of the whole index; undefined for any
// other layout, which is then parsed whole.
function chartTexts(text) {
  const lines = text.split('\\n');
  let i = lines.findIndex((l) => /^entries:[ \\t]*(#.*)?\\r?$/.test(l));
  if (i < 0) return undefined;
  const out = [];
  let indent;
  let current;
  for (i++; i < lines.length; i++) {
    const line = lines[i];
    if (/^\\s*(#.*)?\\r?$/.test(line)) {
      if (current) current.push(line);
      continue;
    }
    const m = /^( *)(\\S)/.exec(line);
    if (m[1].length === 0) {
      if (line.startsWith('---') || line.startsWith('...') || /^entries\\s*:/.test(line)) return undefined;
      break; // the next top-level key
    }
    if (indent === undefined) indent = m[1].length;
    if (m[1].length < indent) return undefined;
    if (m[1].length === indent && m[2] !== '-') {
      current = [line];
      out.push(current);
    } else if (current) current.push(line);
    else return undefined;
  }
  for (; i < lines.length; i++) if (/^entries\\s*:/.test(lines[i])) return undefined;
  return out.map((c) => 'entries:\\n' + c.join('\\n'));
}

function chartsOf(doc) {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('it is not a map');
  const entries = doc.entries;
  if (entries === undefined || entries === null || entries === '') return [];
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
  return charts;
}

parentPort.once('message', (text) => {
  try {
    // JSON (what \`helm repo index --json\` and some servers write) parses in a fraction of the memory.
    if (/^\\s*\\{/.test(text)) {
      let doc;
      try {
        doc = JSON.parse(text);
      } catch {
        // YAML in flow style: parsed whole below
      }
      if (doc !== undefined) return parentPort.postMessage({ charts: chartsOf(doc), how: 'json' });
    }
    const parts = chartTexts(text);
    if (parts) {
      try {
        const charts = [];
        for (const part of parts) charts.push(...chartsOf(YAML.parse(part, OPTIONS)));
        return parentPort.postMessage({ charts, how: 'per chart' });
      } catch {
        // an alias across charts, or a layout the splitter misread: parse the whole document
      }
    }
    parentPort.postMessage({ charts: chartsOf(YAML.parse(text, OPTIONS)), how: 'whole' });
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e).split('\\n')[0] });
  }
});
`;

let yamlPath: string | undefined;

/** How an index was parsed: as JSON, chart by chart (the layout `helm repo index` writes), or whole. */
export type IndexParse = 'json' | 'per chart' | 'whole';

/** Parses index.yaml text; `label` names it in errors. A document too big for the worker's heap is refused. */
export async function parseIndex(text: string, label: string, heapMiB?: number): Promise<ChartIndex> {
  return (await parseIndexDetailed(text, label, heapMiB)).index;
}

/** parseIndex, also saying how the text was parsed (for tests and logs). */
export function parseIndexDetailed(
  text: string,
  label: string,
  heapMiB = indexWorkerHeapMiB(Buffer.byteLength(text)),
): Promise<{ index: ChartIndex; how: IndexParse }> {
  yamlPath ??= createRequire(import.meta.url).resolve('yaml');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { yamlPath },
    resourceLimits: { maxOldGenerationSizeMb: heapMiB },
    stdout: false,
    stderr: false,
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err: Error | undefined, result?: { index: ChartIndex; how: IndexParse }) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (err) reject(err);
      else resolve(result!);
    };
    worker.on(
      'message',
      (m: { charts?: [string, ChartVersionEntry[]][]; how?: IndexParse; error?: string }) => {
        if (m.error !== undefined)
          done(new UserError(`${label} is not a valid Helm repository index: ${m.error}`));
        else done(undefined, { index: new Map(m.charts), how: m.how ?? 'whole' });
      },
    );
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
