// Users' Lua health scripts (Argo CD's `resource.customizations.health.*`) in a sandboxed Lua 5.4 VM
// compiled to WebAssembly (wasmoon): no os, io, package/require, load/loadfile/dofile, debug; a
// wall-clock budget checked by an instruction-count hook and a memory cap per call; a fresh Lua state
// per call so one script run cannot leave globals for the next.
import type { LuaEngine, LuaLibraries, LuaWasm } from 'wasmoon';
import { errorMessage, type HealthStatus, type HealthStatusCode, type KubeObject } from '../core/index.js';

/** Budgets of one script call. */
export interface LuaLimits {
  /** Wall-clock time a call may run (default 250 ms); checked every few thousand instructions. */
  timeoutMs?: number;
  /** Memory the Lua state may allocate (default 16 MiB). */
  memoryBytes?: number;
}

/** The health codes a script may return, as Argo CD accepts them. */
export const LUA_HEALTH_CODES: readonly HealthStatusCode[] = [
  'Healthy',
  'Progressing',
  'Degraded',
  'Suspended',
  'Missing',
  'Unknown',
];

// Lua 5.1 names Argo CD's (gopher-lua) scripts use that Lua 5.4 moved; the rest of the base library is
// kept, minus everything that loads code or reaches outside the VM.
const PRELUDE = `
unpack = unpack or table.unpack
load, loadfile, dofile, loadstring, require, collectgarbage, print = nil, nil, nil, nil, nil, nil, nil
string.dump = nil
package, io, os, debug = nil, nil, nil, nil
`;

/** What LuaRuntime uses of wasmoon, imported on first use. */
interface Wasmoon {
  LuaEngine: typeof LuaEngine;
  LuaLibraries: typeof LuaLibraries;
}
let modulePromise: Promise<{ wasmoon: Wasmoon; module: LuaWasm }> | undefined;

/**
 * The Lua runtime, loaded once per process (the WebAssembly module ships inside the wasmoon package;
 * nothing is downloaded). Scripts then run synchronously, so health stays a plain function.
 */
export async function loadLuaRuntime(): Promise<LuaRuntime> {
  // Imported here, not at the top: a controller whose apps need no Lua check never loads it.
  // A CommonJS package: its exports are `default` in Node and in the split bundle (named ones are not).
  modulePromise ??= import('wasmoon').then(async ({ default: wasmoon }) => ({
    wasmoon: wasmoon as Wasmoon,
    module: await new wasmoon.LuaFactory().getLuaModule(),
  }));
  const { wasmoon, module } = await modulePromise;
  return new LuaRuntime(module, wasmoon);
}

/** Runs Lua scripts in fresh sandboxed states. */
export class LuaRuntime {
  constructor(
    private readonly module: LuaWasm,
    private readonly wasmoon: Wasmoon,
  ) {}

  /**
   * Runs `script` with the global `obj` set to a copy of `input`, and returns what the script returns
   * (tables as plain objects). Throws the script's error, a timeout or an out-of-memory error.
   */
  run(script: string, input: unknown, limits: LuaLimits = {}): unknown {
    const { LuaEngine: Engine, LuaLibraries: Libraries } = this.wasmoon;
    const engine = new Engine(this.module, {
      openStandardLibs: false,
      injectObjects: false,
      enableProxy: false,
      traceAllocations: true,
    });
    try {
      const g = engine.global;
      for (const lib of [
        Libraries.Base,
        Libraries.String,
        Libraries.Table,
        Libraries.Math,
        Libraries.UTF8,
        Libraries.Coroutine,
      ]) {
        g.loadLibrary(lib);
      }
      engine.doStringSync(PRELUDE);
      g.setMemoryMax(limits.memoryBytes ?? 16 * 1024 * 1024);
      g.set('obj', withoutNulls(input));
      g.setTimeout(Date.now() + (limits.timeoutMs ?? 250));
      return engine.doStringSync(script);
    } finally {
      engine.global.close();
    }
  }

  /**
   * Runs an Argo CD health script on a live object: the script reads `obj` and returns a table
   * `{status=…, message=…}`. Never throws: a failing, runaway or malformed script gives Unknown with
   * the reason in the message.
   */
  health(script: string, obj: KubeObject, limits?: LuaLimits): HealthStatus {
    let out: unknown;
    try {
      out = this.run(script, obj, limits);
    } catch (err) {
      return { status: 'Unknown', message: `health script failed: ${describeLuaError(err, limits)}` };
    }
    if (!out || typeof out !== 'object' || Array.isArray(out)) {
      return { status: 'Unknown', message: 'health script did not return a table with a status' };
    }
    const { status, message } = out as { status?: unknown; message?: unknown };
    if (typeof status !== 'string' || !LUA_HEALTH_CODES.includes(status as HealthStatusCode)) {
      return {
        status: 'Unknown',
        message: `health script returned an invalid status ${JSON.stringify(status ?? null)}; want one of ${LUA_HEALTH_CODES.join(', ')}`,
      };
    }
    const text = typeof message === 'string' ? message : message === undefined ? '' : String(message);
    return text
      ? { status: status as HealthStatusCode, message: text }
      : { status: status as HealthStatusCode };
  }
}

/**
 * A copy of JSON data without nulls: a JSON null is Lua's nil (as in Argo CD's conversion), and the
 * table conversion would fail on it. Nulls in arrays are dropped (Lua sequences cannot hold nil).
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(withoutNulls);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = withoutNulls(v);
    return out;
  }
  return value;
}

function describeLuaError(err: unknown, limits: LuaLimits = {}): string {
  const text = errorMessage(err).replace(/^Error: /, '');
  if (/timeout exceeded/.test(text))
    return `it ran longer than ${limits.timeoutMs ?? 250} ms and was stopped`;
  if (/not enough memory/.test(text))
    return `it used more than ${Math.round((limits.memoryBytes ?? 16 * 1024 * 1024) / 1024 / 1024)} MiB and was stopped`;
  return text;
}
