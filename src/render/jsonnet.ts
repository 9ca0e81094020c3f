// Jsonnet files of a Directory source, evaluated as Argo CD evaluates them: each with the real
// go-jsonnet `jsonnet` binary, the app directory and `libs` as library paths, extVars and TLAs with the
// build environment substituted, the output read as an object or an array of objects.
import { UserError, isRecord, type ApplicationSource, type KubeObject } from '../core/index.js';
import { checkImports } from './jsonnet-imports.js';
import { LIMIT_FLAGS, formatBytes, type ManifestBudget } from './limits.js';
import { collectWithin } from './manifests.js';
import { createPacer } from './pace.js';
import { resolveInside, relForm } from './safe-path.js';
import { GO_RUNTIME_CRASH, memoryError, toolLimits } from './sandbox.js';
import { requireTool, runTool } from './tools.js';
import type { RenderOptions } from './types.js';
import type { Workspace } from './workspace.js';

/** spec.source.directory.jsonnet. */
export type JsonnetSpec = NonNullable<NonNullable<ApplicationSource['directory']>['jsonnet']>;
/** One extVar or TLA. */
export type JsonnetVar = NonNullable<JsonnetSpec['extVars']>[number];

/** Longest ext var or TLA value the command line takes (Linux refuses one argument over 128 KiB). */
const MAX_VALUE_BYTES = 100 * 1024;

function isShellSpecial(c: string): boolean {
  return '*#$@!?-0123456789'.includes(c);
}

function isNameChar(c: string): boolean {
  return /^[A-Za-z0-9_]$/.test(c);
}

/** The variable name after a `$` (Go's os.Expand rules) and how many characters it takes. */
function shellName(s: string): { name: string; width: number } {
  if (s[0] === '{') {
    if (s.length > 2 && isShellSpecial(s[1]!) && s[2] === '}') return { name: s[1]!, width: 3 };
    const close = s.indexOf('}', 1);
    if (close === 1) return { name: '', width: 2 };
    if (close < 0) return { name: '', width: 1 };
    return { name: s.slice(1, close), width: close + 1 };
  }
  if (isShellSpecial(s[0]!)) return { name: s[0]!, width: 1 };
  let i = 0;
  while (i < s.length && isNameChar(s[i]!)) i++;
  return { name: s.slice(0, i), width: i };
}

/**
 * Argo CD's substitution of the build environment into extVars and TLAs: `$NAME` and `${NAME}` are
 * replaced by the variable (unknown ones by nothing), `$$` by `$`, as Go's os.Expand does.
 */
export function envsubst(text: string, env: Record<string, string>): string {
  let out = '';
  let from = 0;
  for (let j = 0; j < text.length; j++) {
    if (text[j] !== '$' || j + 1 >= text.length) continue;
    out += text.slice(from, j);
    const { name, width } = shellName(text.slice(j + 1));
    if (name === '' && width === 0) out += '$';
    else if (name === '$') out += '$';
    else if (name !== '') out += Object.hasOwn(env, name) ? env[name] : '';
    j += width;
    from = j + 1;
  }
  return out + text.slice(from);
}

/** The extVars or TLAs of the spec, checked: each needs a name (without "=") and a string value. */
function vars(spec: unknown, field: 'extVars' | 'tlas'): JsonnetVar[] {
  const list = isRecord(spec) ? spec[field] : undefined;
  if (list === undefined || list === null) return [];
  const at = `spec.source.directory.jsonnet.${field}`;
  if (!Array.isArray(list)) throw new UserError(`${at} must be a list of {name, value, code}`);
  return list.map((v: unknown, i) => {
    if (!isRecord(v)) throw new UserError(`${at}[${i}] must be a mapping with name and value`);
    const { name, value = '', code = false } = v;
    if (typeof name !== 'string' || name === '' || name.includes('=')) {
      throw new UserError(`${at}[${i}].name must be a non-empty string without "="`);
    }
    if (typeof value !== 'string') {
      throw new UserError(`${at}[${i}] "${name}": value must be a string (quote it in YAML)`);
    }
    if (typeof code !== 'boolean') throw new UserError(`${at}[${i}] "${name}": code must be true or false`);
    return { name, value, code };
  });
}

/** The spec's libs, checked to be a list of strings. */
function libsOf(spec: unknown): string[] {
  const libs = isRecord(spec) ? spec['libs'] : undefined;
  if (libs === undefined || libs === null) return [];
  if (!Array.isArray(libs) || libs.some((l) => typeof l !== 'string')) {
    throw new UserError('spec.source.directory.jsonnet.libs must be a list of directories');
  }
  return libs as string[];
}

/**
 * The `-J` directories, repo-relative: the app directory, then each of `libs`, which Argo CD resolves
 * against the repository root (a leading "/" included). A lib leading outside the repository is a
 * UserError; one that does not exist is skipped with a warning, as jsonnet finds nothing there.
 */
export async function libraryPaths(
  rootReal: string,
  appRel: string,
  libs: string[],
  warnings: string[],
): Promise<string[]> {
  const dirs = [appRel];
  for (const lib of libs) {
    const rel = lib.replace(/^\/+/, '') || '.';
    let real: string;
    try {
      real = await resolveInside(rootReal, rel, 'spec.source.directory.jsonnet.libs entry', lib);
    } catch (err) {
      if (err instanceof UserError && err.message.endsWith('does not exist in the repository')) {
        warnings.push(`${err.message}; it was ignored`);
        continue;
      }
      throw err;
    }
    dirs.push(relForm(rootReal, real));
  }
  return dirs;
}

/** The spec as jsonnet's command-line options, with the build environment substituted. */
export function jsonnetArgs(
  spec: unknown,
  jpaths: string[],
  env: Record<string, string>,
): { args: string[]; snippets: { label: string; code: string }[] } {
  const args: string[] = [];
  const snippets: { label: string; code: string }[] = [];
  for (const dir of jpaths) args.push('-J', dir);
  const add = (field: 'extVars' | 'tlas', str: string, code: string, kind: string) => {
    for (const v of vars(spec, field)) {
      const value = envsubst(v.value, env);
      if (Buffer.byteLength(value) > MAX_VALUE_BYTES) {
        throw new UserError(
          `spec.source.directory.jsonnet.${field} "${v.name}" is longer than ${formatBytes(MAX_VALUE_BYTES)}`,
        );
      }
      args.push(v.code ? code : str, `${v.name}=${value}`);
      if (v.code) snippets.push({ label: `<${kind}:${v.name}>`, code: value });
    }
  };
  add('extVars', '--ext-str', '--ext-code', 'extvar');
  add('tlas', '--tla-str', '--tla-code', 'top-level-arg');
  return { args, snippets };
}

/** `file:line:col` from a go-jsonnet location (`f:3:5-9`, `f:(3:5)-(4:2)`, `f:3:5`), or undefined. */
function shortLocation(loc: string): string | undefined {
  const m = /^(.+):(?:(\d+):(\d+)(?:-\d+)?|\((\d+):(\d+)\)-\(\d+:\d+\))$/.exec(loc);
  if (!m) return undefined;
  return `${m[1]}:${m[2] ?? m[4]}:${m[3] ?? m[5]}`;
}

/** Names the command-line snippets go-jsonnet reports as `<extvar:x>` the way the spec does. */
function specNames(text: string): string {
  return text.replace(/<extvar:([^>]*)>/g, 'extVar "$1"').replace(/<top-level-arg:([^>]*)>/g, 'TLA "$1"');
}

/**
 * The UserError of a failed jsonnet run: `<file>:<line>:<col> <message>` where the error is, with
 * `(evaluating <file>)` when that is another file than the one evaluated; temporary paths scrubbed.
 */
export function jsonnetFailure(stderr: string, file: string, scrub: (text: string) => string): UserError {
  const lines = scrub(stderr)
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''));
  let first = lines[0] ?? '';
  let loc: string | undefined;
  let body: string[] = [];
  if (first.startsWith('RUNTIME ERROR: ')) {
    // A runtime error: its message, then stack frames (`\t<location>\t<name>`) innermost first.
    first = first.slice('RUNTIME ERROR: '.length);
    let i = 1;
    for (; i < lines.length && !lines[i]!.startsWith('\t'); i++) body.push(lines[i]!);
    for (; i < lines.length && !loc; i++) loc = shortLocation(lines[i]!.split('\t')[1] ?? '');
  } else {
    body = lines.slice(1, 4);
  }
  // A static error (also one in an imported file, which jsonnet reports as a runtime error) starts
  // with its own location: `<file>:<line>:<col>-<col> <message>`, then a snippet of the source.
  const located = STATIC_ERROR.exec(first);
  if (located) {
    loc = shortLocation(located[1]!);
    first = located[2]!;
    body = [];
  }
  let message = [first, ...body]
    .filter((l) => l !== '')
    .join('\n')
    .replace(/^ERROR: /, '');
  if (!message) message = 'jsonnet failed without a message';
  const text = loc
    ? `${loc} ${message}${loc.startsWith(`${file}:`) ? '' : ` (evaluating ${file})`}`
    : `${file}: ${message}`;
  return new UserError(specNames(text));
}

const STATIC_ERROR = /^(.+?:(?:\d+:\d+(?:-\d+)?|\(\d+:\d+\)-\(\d+:\d+\))) (.*)$/;

/** What renderJsonnetFiles needs. */
export interface JsonnetInput {
  /** The private copy of the repository the files are evaluated in. */
  ws: Workspace;
  /** The files to evaluate, repo-relative, in the order found. */
  files: string[];
  /** The app directory, repo-relative ("." for the root). */
  appRel: string;
  spec: unknown;
  /** The build environment (ARGOCD_APP_NAME, …) substituted into extVars and TLAs. */
  env: Record<string, string>;
  budget: ManifestBudget;
  /** Bytes of manifests the source already holds (its YAML and JSON files): jsonnet gets the rest. */
  usedBytes: number;
  warnings: string[];
}

/** The objects of one jsonnet output: an object (a `…List` is flattened), an array of them, or null. */
async function objectsOf(
  output: string,
  file: string,
  budget: ManifestBudget,
  signal?: AbortSignal,
): Promise<KubeObject[]> {
  const value: unknown = JSON.parse(output);
  const objects: KubeObject[] = [];
  if (Array.isArray(value)) {
    const pacer = createPacer(signal);
    for (const [i, item] of value.entries()) {
      // `[if cond then obj]` yields null: nothing to deploy, like an empty YAML document.
      if (item !== null) collectWithin(item, `${file}, item ${i + 1}`, objects, budget);
      await pacer.tick();
    }
  } else if (value !== null) {
    if (!isRecord(value)) {
      throw new UserError(
        `${file} evaluates to a ${typeof value}: a Jsonnet file must give an object or an array of objects`,
      );
    }
    collectWithin(value, file, objects, budget);
  }
  return objects;
}

/**
 * Evaluates each Jsonnet file in the workspace's copy of the repository with the jsonnet binary,
 * sandboxed like kustomize and helm (memory, CPU, time, network), after checkImports has found every
 * import it could follow inside the repository. The output of all files together stays within the
 * render's manifest bytes, and its objects are counted and measured like YAML documents.
 */
export async function renderJsonnetFiles(input: JsonnetInput, opts: RenderOptions): Promise<KubeObject[]> {
  const { ws, files, budget } = input;
  const jpaths = await libraryPaths(ws.copyRoot, input.appRel, libsOf(input.spec), input.warnings);
  const { args, snippets } = jsonnetArgs(input.spec, jpaths, input.env);
  const max = budget.limits.maxManifestBytes;
  await checkImports(ws.copyRoot, { files, snippets, jpaths, maxBytes: 4 * max });
  const bin = requireTool(opts.tools ?? {}, 'jsonnet');
  const env: Record<string, string | undefined> = { ...ws.env, NO_COLOR: '1', JSONNET_PATH: undefined };
  const limits = toolLimits(opts.toolLimits);
  let used = input.usedBytes;
  const objects: KubeObject[] = [];
  for (const file of files) {
    const remaining = Math.max(0, max - used);
    const run = await runTool(bin, 'jsonnet', [...args, '--', file], {
      cwd: ws.copyRoot,
      env,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
      limits: opts.toolLimits,
      logger: opts.logger,
      maxOutputBytes: remaining,
      outputTooLarge: () =>
        new UserError(
          remaining === max
            ? `jsonnet ${file} produced more than ${formatBytes(max)} of manifests, the limit (${LIMIT_FLAGS.maxManifestBytes})`
            : `jsonnet ${file} produced more than ${formatBytes(remaining)}, which with the source's other manifests is more than the limit of ${formatBytes(max)} (${LIMIT_FLAGS.maxManifestBytes})`,
        ),
    });
    // jsonnet is pure Go without cgo: its runtime crashing means an allocation failed under RLIMIT_DATA.
    const firstLine = run.stderr.split('\n', 1)[0]!;
    if (run.code !== 0 && GO_RUNTIME_CRASH.test(firstLine)) throw memoryError('jsonnet', limits);
    if (run.code !== 0) throw jsonnetFailure(run.stderr, file, ws.scrub);
    used += Buffer.byteLength(run.stdout);
    objects.push(...(await objectsOf(run.stdout, file, budget, opts.signal)));
  }
  return objects;
}
