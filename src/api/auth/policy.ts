import { PatternMatcher } from './glob.js';

/** One `p` line: subject may (allow) or may not (deny) do action on resource's object. */
export interface PolicyRule {
  subject: string;
  resource: string;
  action: string;
  object: string;
  effect: 'allow' | 'deny';
}

/** One `g` line: member (a user, group or role) has role. */
export interface RoleBinding {
  member: string;
  role: string;
}

/** A parsed policy.csv: rules, bindings, and the lines that could not be read (1-based). */
export interface ParsedPolicy {
  rules: PolicyRule[];
  bindings: RoleBinding[];
  errors: { line: number; message: string }[];
}

/** Mooring's built-in policy: read-only and admin roles, and the local admin user bound to admin. */
export const BUILTIN_POLICY_CSV = [
  'p, role:readonly, *, get, *, allow',
  'p, role:admin, *, *, *, allow',
  'g, role:admin, role:readonly',
  'g, admin, role:admin',
].join('\n');

/** Splits one CSV line into trimmed fields; double quotes may wrap a field ("" is a quote). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur.trim() === '' && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
      cur = '';
    } else if (c === ',') {
      fields.push(wasQuoted ? cur : cur.trim());
      cur = '';
      wasQuoted = false;
    } else if (!(wasQuoted && /\s/.test(c))) cur += c;
  }
  if (quoted) throw new Error('unterminated quote');
  fields.push(wasQuoted ? cur : cur.trim());
  return fields;
}

/**
 * Parses Argo CD's policy.csv: `p, <subject>, <resource>, <action>, <object>[, allow|deny]` and
 * `g, <member>, <role>`; blank lines and `#` comments are skipped. Bad lines are reported, not kept.
 */
export function parsePolicyCsv(text: string): ParsedPolicy {
  const out: ParsedPolicy = { rules: [], bindings: [], errors: [] };
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    let f: string[];
    try {
      f = splitCsvLine(line);
    } catch (err) {
      out.errors.push({ line: idx + 1, message: (err as Error).message });
      return;
    }
    const bad = (message: string) => out.errors.push({ line: idx + 1, message });
    if (f[0] === 'p') {
      if (f.length < 5 || f.length > 6) return bad(`a p line has 5 or 6 fields, this one has ${f.length}`);
      const effect = (f[5] ?? 'allow').toLowerCase();
      if (effect !== 'allow' && effect !== 'deny') return bad(`effect must be allow or deny, not "${f[5]}"`);
      if (f.slice(1, 5).some((x) => x === '')) return bad('a p line has an empty field');
      out.rules.push({ subject: f[1]!, resource: f[2]!, action: f[3]!, object: f[4]!, effect });
    } else if (f[0] === 'g') {
      if (f.length !== 3) return bad(`a g line has 3 fields, this one has ${f.length}`);
      if (!f[1] || !f[2]) return bad('a g line has an empty field');
      out.bindings.push({ member: f[1], role: f[2] });
    } else bad(`a line starts with p or g, not "${f[0]}"`);
  });
  return out;
}

/** A decision for one subject: allowed, denied, or nothing matched. */
export type Decision = 'allow' | 'deny' | undefined;

/**
 * A compiled set of rules and bindings that answers, for one subject, whether an action on an
 * object is allowed: rules of the subject and of every role it reaches through `g` lines
 * (transitively) count; a matching deny wins over any matching allow.
 */
export class PolicySet {
  private readonly bySubject = new Map<string, PolicyRule[]>();
  private readonly roles = new Map<string, string[]>();
  private readonly reachCache = new Map<string, string[]>();

  constructor(
    readonly rules: readonly PolicyRule[],
    readonly bindings: readonly RoleBinding[],
    private readonly matcher: PatternMatcher = new PatternMatcher(),
  ) {
    for (const r of rules) {
      const list = this.bySubject.get(r.subject) ?? [];
      list.push(r);
      this.bySubject.set(r.subject, list);
    }
    for (const b of bindings) {
      const list = this.roles.get(b.member) ?? [];
      if (!list.includes(b.role)) list.push(b.role);
      this.roles.set(b.member, list);
    }
  }

  /** A new set with more rules and bindings (a project's runtime policy), same matching mode. */
  extend(rules: readonly PolicyRule[], bindings: readonly RoleBinding[]): PolicySet {
    return new PolicySet([...this.rules, ...rules], [...this.bindings, ...bindings], this.matcher);
  }

  /** The subject and every role it has, directly or through other roles. */
  reach(subject: string): string[] {
    const cached = this.reachCache.get(subject);
    if (cached) return cached;
    const seen = new Set<string>([subject]);
    const queue = [subject];
    while (queue.length) {
      for (const role of this.roles.get(queue.shift()!) ?? []) {
        if (!seen.has(role)) {
          seen.add(role);
          queue.push(role);
        }
      }
    }
    const result = [...seen];
    if (this.reachCache.size > 10_000) this.reachCache.clear();
    this.reachCache.set(subject, result);
    return result;
  }

  /** Whether the subject has any binding or rule here (a group nobody mentions need not be checked). */
  mentions(subject: string): boolean {
    return this.bySubject.has(subject) || this.roles.has(subject);
  }

  /** The decision for subject doing action on resource's object. */
  decide(subject: string, resource: string, action: string, object: string): Decision {
    let allowed = false;
    for (const s of this.reach(subject)) {
      for (const r of this.bySubject.get(s) ?? []) {
        if (
          this.matcher.match(resource, r.resource) &&
          this.matcher.match(action, r.action) &&
          this.matcher.match(object, r.object)
        ) {
          if (r.effect === 'deny') return 'deny';
          allowed = true;
        }
      }
    }
    return allowed ? 'allow' : undefined;
  }
}
