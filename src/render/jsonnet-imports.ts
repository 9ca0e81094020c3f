// Keeps Jsonnet inside the repository. go-jsonnet reads whatever an `import`, `importstr` or
// `importbin` names: an absolute path, or `../` past the repository root. The jsonnet binary has no
// option to confine it, so every import it could follow is found and resolved here first, the way
// go-jsonnet's FileImporter resolves it, and the render is refused when one leads out.
//
// Jsonnet only accepts a string literal after the keyword ("Computed imports are not allowed"), so
// finding them is textual. The search is deliberately wider than the grammar: every `import` word is
// looked at, even in a comment or a string, so a mistake can only refuse too much, never miss one.
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/index.js';
import { LIMIT_FLAGS, formatBytes } from './limits.js';
import { isInside } from './safe-path.js';

/** One import found in a Jsonnet text. */
export interface JsonnetImport {
  keyword: 'import' | 'importstr' | 'importbin';
  /** The path as Jsonnet decodes the string literal. */
  path: string;
  /** 1-based line of the keyword. */
  line: number;
}

const KEYWORD = /\bimport(?:str|bin)?\b/g;

/** The index after the blanks and comments (`//`, `#`, `/* … *\/`) that start at i. */
function skipFodder(text: string, i: number): number {
  for (;;) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') i++;
    else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else return i;
  }
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "'": "'",
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** A quoted literal's value as go-jsonnet decodes it, or undefined when go-jsonnet would refuse it. */
function quoted(text: string, start: number): string | undefined {
  const quote = text[start]!;
  let out = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === quote) return out;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = text[++i];
    if (e === undefined) return undefined;
    if (e === 'u') {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return undefined;
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 4;
    } else if (ESCAPES[e] !== undefined) out += ESCAPES[e];
    else return undefined;
  }
  return undefined;
}

/** A verbatim literal's value (`@"…"`, `@'…'`, a doubled quote stands for one), or undefined. */
function verbatim(text: string, start: number): string | undefined {
  const quote = text[start]!;
  let out = '';
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] !== quote) out += text[i];
    else if (text[i + 1] === quote) {
      out += quote;
      i++;
    } else return out;
  }
  return undefined;
}

/**
 * Every `import`, `importstr` and `importbin` followed by a string literal in a Jsonnet text, wherever
 * it stands (comments and strings included: see the top of this file). Text blocks are not looked at
 * (Jsonnet refuses them in imports), nor literals it could not decode (it refuses the file).
 */
export function findImports(text: string): JsonnetImport[] {
  const found: JsonnetImport[] = [];
  let line = 1;
  let lineAt = 0;
  for (const m of text.matchAll(KEYWORD)) {
    for (; lineAt < m.index; lineAt++) if (text.charCodeAt(lineAt) === 10) line++;
    const i = skipFodder(text, m.index + m[0].length);
    let value: string | undefined;
    if (text[i] === '"' || text[i] === "'") value = quoted(text, i);
    else if (text[i] === '@' && (text[i + 1] === '"' || text[i + 1] === "'")) value = verbatim(text, i + 1);
    if (value !== undefined) found.push({ keyword: m[0] as JsonnetImport['keyword'], path: value, line });
  }
  return found;
}

/** What checkImports starts from: the files jsonnet evaluates and the code given on its command line. */
export interface ImportRoots {
  /** Files jsonnet is run on, relative to the repository root (its working directory). */
  files: string[];
  /** Code passed as ext-code or tla-code: its imports resolve from the working directory. */
  snippets: { label: string; code: string }[];
  /** The `-J` directories in command-line order, relative to the repository root. */
  jpaths: string[];
  /** Bytes of Jsonnet the check may read before giving up (4 × maxManifestBytes in renders). */
  maxBytes: number;
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** `path:line`, or a snippet's label, for messages. */
const where = (from: string, line: number) => (from.startsWith('<') ? from : `${from}:${line}`);

/**
 * Resolves every import reachable from the roots as go-jsonnet's FileImporter does (the importing
 * file's directory first, then the -J directories right-most first, the first that exists wins; paths
 * joined lexically) and refuses, with a UserError naming the file and line, an absolute import or one
 * whose candidate leads outside root. Imported files are read and checked in turn.
 */
export async function checkImports(root: string, roots: ImportRoots): Promise<void> {
  const queue: { from: string; text?: string }[] = [
    ...roots.snippets.map((s) => ({ from: s.label, text: s.code })),
    ...roots.files.map((f) => ({ from: f })),
  ];
  const seen = new Set(roots.files);
  let bytes = 0;
  for (let next = queue.shift(); next; next = queue.shift()) {
    let text = next.text;
    if (text === undefined) {
      const abs = path.join(root, next.from);
      bytes += (await stat(abs)).size;
      if (bytes > roots.maxBytes) {
        throw new UserError(
          `the Jsonnet files and their imports hold more than ${formatBytes(roots.maxBytes)}, what the import check reads at most (4 × ${LIMIT_FLAGS.maxManifestBytes})`,
        );
      }
      text = await readFile(abs, 'utf8');
    }
    const dir = next.from.startsWith('<') ? '' : path.posix.dirname(next.from);
    for (const imp of findImports(text)) {
      const at = where(next.from, imp.line);
      if (path.posix.isAbsolute(imp.path)) {
        throw new UserError(
          `${at}: ${imp.keyword} "${imp.path}" is an absolute path; Jsonnet may only import files of the repository`,
        );
      }
      const dirs = [{ dir, via: '' }, ...[...roots.jpaths].reverse().map((j) => ({ dir: j, via: j }))];
      const found = await resolveImport(root, dirs, imp, at);
      if (found && imp.keyword === 'import' && !seen.has(found)) {
        seen.add(found);
        queue.push({ from: found });
      }
    }
  }
}

/** The first candidate of an import that exists (repo-relative), refusing one that leads outside root. */
async function resolveImport(
  root: string,
  dirs: { dir: string; via: string }[],
  imp: JsonnetImport,
  at: string,
): Promise<string | undefined> {
  const outside = (via: string) =>
    new UserError(
      `${at}: ${imp.keyword} "${imp.path}" leads outside the repository${via ? ` (through library path "${via}")` : ''}`,
    );
  for (const { dir, via } of dirs) {
    const candidate = path.posix.join(dir || '.', imp.path);
    if (candidate === '..' || candidate.startsWith('../')) throw outside(via);
    let real: string;
    try {
      real = await realpath(path.join(root, candidate));
    } catch (err) {
      if (isMissing(err)) continue;
      return undefined; // jsonnet stops at this candidate too, with its own error
    }
    if (!isInside(root, real)) throw outside(via);
    return (await stat(real)).isFile() ? candidate : undefined;
  }
  return undefined;
}
