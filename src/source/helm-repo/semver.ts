// Semantic versions and the version constraints Argo CD accepts as a Helm chart's targetRevision. The
// syntax and meaning follow Masterminds/semver v3 (what Argo CD and Helm use): `1.2.*`, `>=1.0 <2.0`,
// `>=1.0, <2.0`, `^1.2`, `~1.2`, `1.2 - 1.4`, `a || b`; prereleases match only a term that has one.

/** A parsed version: numbers, prerelease identifiers (build metadata is ignored, as semver says). */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
  /** The text it was parsed from. */
  raw: string;
}

const IDENT = '[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*';
const VERSION_RE = new RegExp(`^v?(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?(?:-(${IDENT}))?(?:\\+(${IDENT}))?$`);
const FULL_VERSION_RE = new RegExp(`^v?\\d+\\.\\d+\\.\\d+(?:-${IDENT})?(?:\\+${IDENT})?$`);
const PART = '(?:\\d+|[xX*])';
const TERM_VERSION_RE = new RegExp(
  `^v?(${PART})(?:\\.(${PART}))?(?:\\.(${PART}))?(?:-(${IDENT}))?(?:\\+${IDENT})?$`,
);

/** Parses a version loosely as Masterminds' NewVersion does (`v` prefix and missing parts allowed); undefined when it is none. */
export function parseVersion(text: string): SemVer | undefined {
  const m = VERSION_RE.exec(text.trim());
  if (!m) return undefined;
  const num = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  const v = { major: num(m[1]), minor: num(m[2]), patch: num(m[3]) };
  if (!Number.isSafeInteger(v.major) || !Number.isSafeInteger(v.minor) || !Number.isSafeInteger(v.patch)) {
    return undefined;
  }
  return { ...v, prerelease: m[4] ? m[4].split('.') : [], raw: text };
}

/** True when text is one complete version (`1.2.3`, `v1.2.3-rc.1`), i.e. an exact targetRevision rather than a constraint. */
export function isExactVersion(text: string): boolean {
  return FULL_VERSION_RE.test(text.trim());
}

/** Orders versions by semver precedence: negative when a < b, 0 when equal, positive when a > b. */
export function compareVersions(a: SemVer, b: SemVer): number {
  return (
    a.major - b.major ||
    a.minor - b.minor ||
    a.patch - b.patch ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

function comparePrerelease(a: string[], b: string[]): number {
  // A version without prerelease ranks above any prerelease of the same numbers.
  if (a.length === 0 || b.length === 0) return b.length - a.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (xn !== yn) {
      return xn ? -1 : 1; // numeric identifiers rank below alphanumeric ones
    } else if (x !== y) {
      return x < y ? -1 : 1; // ASCII order, as the spec says
    }
  }
  return 0;
}

type Op = '=' | '!=' | '>' | '<' | '>=' | '<=' | '~' | '^';

/** One comparison of a constraint: an operator and a version whose trailing parts may be wildcards. */
interface Term {
  op: Op;
  base: SemVer;
  /** How many leading parts were numbers (0–3); the rest were `x`, `*` or missing. */
  known: number;
}

/** A parsed constraint: OR of AND groups of terms. */
export interface Constraint {
  raw: string;
  groups: Term[][];
}

const OPS: Record<string, Op> = {
  '': '=',
  '=': '=',
  '!=': '!=',
  '>': '>',
  '<': '<',
  '>=': '>=',
  '=>': '>=',
  '<=': '<=',
  '=<': '<=',
  '~': '~',
  '~>': '~',
  '^': '^',
};

/** Parses a constraint; throws an Error naming the part it cannot read. */
export function parseConstraint(text: string): Constraint {
  const raw = text.trim();
  if (raw === '') throw new Error('the version constraint is empty');
  const groups = raw.split('||').map((group) => parseGroup(group.trim(), raw));
  return { raw, groups };
}

function parseGroup(group: string, whole: string): Term[] {
  if (group === '') throw new Error(`"${whole}" has an empty alternative around "||"`);
  // A hyphen range `A - B` means `>= A, <= B`.
  const rewritten = group.replace(/(\S+)\s+-\s+(\S+)/g, '>=$1, <=$2');
  const terms: Term[] = [];
  const token = /\s*(!=|>=|=>|<=|=<|~>|>|<|=|~|\^)?\s*([^\s,]+)\s*,?/y;
  let at = 0;
  while (at < rewritten.length) {
    token.lastIndex = at;
    const m = token.exec(rewritten);
    if (!m || m[0].length === 0) throw new Error(`cannot read "${rewritten.slice(at).trim()}" in "${whole}"`);
    at = token.lastIndex;
    terms.push(parseTerm(m[1] ?? '', m[2]!, whole));
  }
  if (terms.length === 0) throw new Error(`"${whole}" has no comparison`);
  return terms;
}

function parseTerm(op: string, version: string, whole: string): Term {
  const m = TERM_VERSION_RE.exec(version);
  if (!m) throw new Error(`"${version}" in "${whole}" is not a version`);
  const parts = [m[1], m[2], m[3]];
  let known = 0;
  while (known < 3 && parts[known] !== undefined && /^\d+$/.test(parts[known]!)) known++;
  const n = (i: number) => (i < known ? Number(parts[i]) : 0);
  const base: SemVer = {
    major: n(0),
    minor: n(1),
    patch: n(2),
    prerelease: m[4] ? m[4].split('.') : [],
    raw: version,
  };
  return { op: OPS[op]!, base, known };
}

/** True when v satisfies the constraint (any of its groups, every term of that group). */
export function satisfies(v: SemVer, c: Constraint): boolean {
  return c.groups.some((g) => g.every((t) => termMatches(v, t)));
}

function termMatches(v: SemVer, t: Term): boolean {
  // Prereleases are only considered by a term that names one (`>=1.0.0-0`, `*-0`).
  if (v.prerelease.length > 0 && t.base.prerelease.length === 0) return false;
  const { base, known } = t;
  const cmp = compareVersions(v, base);
  switch (t.op) {
    case '=':
      return known === 3 ? cmp === 0 : tilde(v, t, cmp);
    case '!=':
      return known === 3 ? cmp !== 0 : !withinWildcard(v, t);
    case '>':
      if (known === 3 || known === 0) return cmp > 0;
      if (known === 2) return v.major > base.major || (v.major === base.major && v.minor > base.minor);
      return v.major > base.major;
    case '<':
      return cmp < 0;
    case '>=':
      return cmp >= 0;
    case '<=':
      if (known === 3) return cmp <= 0;
      if (v.major !== base.major) return v.major < base.major;
      return known < 2 || v.minor <= base.minor;
    case '~':
      return tilde(v, t, cmp);
    case '^':
      return caret(v, t, cmp);
  }
}

/** `~1.2.3` is `>=1.2.3 <1.3.0`, `~1` is `>=1 <2`, `~*` anything. */
function tilde(v: SemVer, t: Term, cmp: number): boolean {
  if (cmp < 0) return false;
  if (t.known === 0) return true;
  if (v.major !== t.base.major) return false;
  return t.known === 1 || v.minor === t.base.minor;
}

/** `^1.2.3` is `>=1.2.3 <2.0.0`, `^0.2.3` is `>=0.2.3 <0.3.0`, `^0.0.3` is `=0.0.3`. */
function caret(v: SemVer, t: Term, cmp: number): boolean {
  if (t.known === 0) return true;
  if (cmp < 0) return false;
  const { base } = t;
  if (base.major > 0 || t.known === 1) return v.major === base.major;
  if (v.major !== 0) return false;
  if (base.minor > 0 || t.known === 2) return v.minor === base.minor;
  return v.minor === 0 && v.patch === base.patch;
}

/** True when v's known parts equal the term's (`1.2.x` holds every 1.2 version). */
function withinWildcard(v: SemVer, t: Term): boolean {
  if (t.known === 0) return true;
  if (v.major !== t.base.major) return false;
  return t.known === 1 || v.minor === t.base.minor;
}

/**
 * The newest of the versions that satisfies the constraint, or undefined. Texts that are not versions
 * are skipped (a Helm index may list anything).
 */
export function newestMatching(versions: readonly string[], constraint: Constraint): string | undefined {
  let best: SemVer | undefined;
  for (const text of versions) {
    const v = parseVersion(text);
    if (!v || !satisfies(v, constraint)) continue;
    if (!best || compareVersions(v, best) > 0) best = v;
  }
  return best?.raw;
}
