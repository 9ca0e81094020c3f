// A strict reader for the YAML that `kubectl config` writes: block mappings and sequences of plain or
// quoted scalars, `{}` and `[]`. It returns undefined for anything else (anchors, aliases, tags, flow
// collections, block scalars, multi-line scalars, numbers, document markers, duplicate keys, tabs…),
// and the caller then parses with the `yaml` package. So loading that package (a few ms of a CLI
// start) is skipped for the common kubeconfig, and never changes what a kubeconfig means: whatever
// this returns is what `yaml`'s parse returns (the unit test checks both on every input).

/** One non-blank, non-comment line: its indentation and its text without it. */
interface Line {
  indent: number;
  text: string;
}

/** Thrown inside the reader for anything outside the subset; never escapes readKubeconfigYaml. */
class Unsupported extends Error {}

const KEY = /^([A-Za-z_][A-Za-z0-9_./-]*):(?: +(.*))?$/;
const BOOLEANS: Record<string, boolean> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
};
const NULLS = new Set(['null', 'Null', 'NULL']);

/** A scalar on one line (a value after `key: ` or `- `), as YAML 1.2's core schema reads it. */
function scalar(text: string): unknown {
  if (text === '{}') return {};
  if (text === '[]') return [];
  if (text.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'$/.exec(text);
    if (!m) throw new Unsupported();
    return m[1]!.replaceAll("''", "'");
  }
  if (text.startsWith('"')) {
    const m = /^"([^"\\]*)"$/.exec(text); // no escapes: those are the yaml package's
    if (!m) throw new Unsupported();
    return m[1];
  }
  // Indicators, numbers (and ~) and anything a comment or a mapping could hide in.
  if (/^[-?:,[\]{}#&*!|>'"%@`+.0-9~]/.test(text) || /: |:$| #/.test(text)) throw new Unsupported();
  if (Object.hasOwn(BOOLEANS, text)) return BOOLEANS[text];
  if (NULLS.has(text)) return null;
  return text;
}

/** The lines of a document, or Unsupported for a document outside the subset. */
function linesOf(text: string): Line[] {
  if (/[\t\r\uFEFF]/.test(text)) throw new Unsupported();
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    const trimmed = raw.trimEnd();
    const body = trimmed.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    if (/^(---|\.\.\.)( |$)/.test(trimmed) || trimmed.startsWith('%')) throw new Unsupported();
    lines.push({ indent: trimmed.length - body.length, text: body });
  }
  return lines;
}

/** A reader over the lines; each node method consumes the lines of one node. */
class Reader {
  private i = 0;
  constructor(private readonly lines: Line[]) {}

  /** The whole document: one block mapping at column 0. */
  document(): Record<string, unknown> {
    const first = this.lines[0];
    if (!first || first.indent !== 0 || !KEY.test(first.text)) throw new Unsupported();
    const doc = this.mapping(0);
    if (this.i !== this.lines.length) throw new Unsupported();
    return doc;
  }

  /** The node whose first line is the current one, at exactly this indentation. */
  private node(indent: number): unknown {
    const line = this.lines[this.i]!;
    if (line.text === '-' || line.text.startsWith('- ')) return this.sequence(indent);
    if (KEY.test(line.text)) return this.mapping(indent);
    this.i++;
    return scalar(line.text);
  }

  /** A block sequence: `- ` items at this indentation. */
  private sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    const isItem = (l: Line | undefined) =>
      l !== undefined && l.indent === indent && (l.text === '-' || l.text.startsWith('- '));
    for (let line = this.lines[this.i]; isItem(line); line = this.lines[this.i]) {
      if (line!.text === '-') {
        this.i++;
        const next = this.lines[this.i];
        items.push(next && next.indent > indent ? this.node(next.indent) : null);
      } else {
        // `- key: v` is a mapping whose keys line up with `key`: read the rest as its own line.
        const rest = line!.text.slice(2);
        const body = rest.trimStart();
        this.lines[this.i] = { indent: indent + 2 + rest.length - body.length, text: body };
        if (body === '') throw new Unsupported();
        items.push(this.node(indent + 2 + rest.length - body.length));
      }
    }
    this.checkDedent(indent);
    return items;
  }

  /** A block mapping: `key:` lines at this indentation. */
  private mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (let line = this.lines[this.i]; line && line.indent === indent; line = this.lines[this.i]) {
      const m = KEY.exec(line.text);
      // Keys YAML reads as something else than their text (true, null) are the yaml package's.
      if (
        !m ||
        Object.hasOwn(map, m[1]!) ||
        m[1] === '__proto__' ||
        Object.hasOwn(BOOLEANS, m[1]!) ||
        NULLS.has(m[1]!)
      )
        throw new Unsupported();
      this.i++;
      const next = this.lines[this.i];
      if (m[2] !== undefined) map[m[1]!] = scalar(m[2]);
      else if (next && next.indent > indent) map[m[1]!] = this.node(next.indent);
      // A sequence may sit at its key's indentation (as kubectl writes `clusters:`).
      else if (next && next.indent === indent && (next.text === '-' || next.text.startsWith('- ')))
        map[m[1]!] = this.sequence(indent);
      else map[m[1]!] = null;
    }
    this.checkDedent(indent);
    return map;
  }

  /** After a node at this indentation, the next line must be outdented (else it belongs nowhere). */
  private checkDedent(indent: number): void {
    const next = this.lines[this.i];
    if (next && next.indent > indent) throw new Unsupported();
  }
}

/**
 * The kubeconfig document when it is in the subset `kubectl config` writes (see the module comment),
 * exactly as the `yaml` package would read it; undefined for anything else.
 */
export function readKubeconfigYaml(text: string): Record<string, unknown> | undefined {
  try {
    return new Reader(linesOf(text)).document();
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}
