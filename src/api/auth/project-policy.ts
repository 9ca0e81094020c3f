import type { AppProject, ProjectRole, ProjectRoleToken } from '../../core/index.js';
import { parsePolicyCsv, type PolicyRule, type RoleBinding } from './policy.js';

/** The RBAC subject of a project role. */
export function projectSubject(project: string, role: string): string {
  return `proj:${project}:${role}`;
}

/** Splits `proj:<project>:<role>`; undefined for any other subject. */
export function parseProjectSubject(subject: string): { project: string; role: string } | undefined {
  const parts = subject.split(':');
  if (parts.length !== 3 || parts[0] !== 'proj' || !parts[1] || !parts[2]) return undefined;
  return { project: parts[1], role: parts[2] };
}

// Resources whose objects are `<project>/…` (as in Argo CD's server, repositories and clusters
// count when they are project-scoped).
const PROJECT_SCOPED = new Set([
  'applications',
  'applicationsets',
  'logs',
  'exec',
  'repositories',
  'clusters',
]);

/** The project a request's object belongs to: `<project>/…` objects, or the name for `projects`. */
export function projectOfRequest(resource: string, object: string): string | undefined {
  if (resource === 'projects') return object || undefined;
  if (!PROJECT_SCOPED.has(resource)) return undefined;
  const slash = object.indexOf('/');
  return slash > 0 ? object.slice(0, slash) : undefined;
}

/** Whether a rule's object pattern can only ever name the project's own objects. */
function ownObjectPattern(project: string, rule: PolicyRule): boolean {
  if (rule.resource === 'projects') return rule.object === project;
  return rule.object.startsWith(`${project}/`);
}

/** A project's roles as RBAC rules and bindings, and the role policy lines that were refused. */
export interface ProjectPolicy {
  rules: PolicyRule[];
  bindings: RoleBinding[];
  refused: { role: string; line: string; reason: string }[];
}

/**
 * The runtime policy an AppProject's `spec.roles` give: each role's policy lines (only those whose
 * subject is that role and whose object is inside the project: a line naming another project, or
 * `*`, grants nothing), `get` on the project itself, and its groups bound to the role.
 */
export function projectPolicy(project: AppProject): ProjectPolicy {
  const name = project.metadata.name ?? '';
  const out: ProjectPolicy = { rules: [], bindings: [], refused: [] };
  for (const role of project.spec?.roles ?? []) {
    if (!role?.name) continue;
    const subject = projectSubject(name, role.name);
    out.rules.push({ subject, resource: 'projects', action: 'get', object: name, effect: 'allow' });
    for (const line of role.policies ?? []) {
      if (typeof line !== 'string') continue;
      const parsed = parsePolicyCsv(line);
      for (const e of parsed.errors) out.refused.push({ role: role.name, line, reason: e.message });
      if (parsed.bindings.length)
        out.refused.push({ role: role.name, line, reason: 'g lines are not allowed in a role' });
      for (const rule of parsed.rules) {
        if (rule.subject !== subject) {
          out.refused.push({ role: role.name, line, reason: `the subject must be ${subject}` });
        } else if (!ownObjectPattern(name, rule)) {
          out.refused.push({
            role: role.name,
            line,
            reason: `the object must be inside project ${name} (${name}/…)`,
          });
        } else out.rules.push(rule);
      }
    }
    for (const group of role.groups ?? []) {
      if (typeof group === 'string' && group) out.bindings.push({ member: group, role: subject });
    }
  }
  return out;
}

/** The named role of a project. */
export function findRole(project: AppProject, role: string): ProjectRole | undefined {
  return (project.spec?.roles ?? []).find((r) => r?.name === role);
}

interface StatusTokens {
  jwtTokensByRole?: Record<string, { items?: ProjectRoleToken[] }>;
}

/** Every token recorded for a role: spec.roles[].jwtTokens and Argo CD's status.jwtTokensByRole. */
export function roleTokens(project: AppProject, role: string): ProjectRoleToken[] {
  const spec = findRole(project, role)?.jwtTokens ?? [];
  const status = (project.status as StatusTokens | undefined)?.jwtTokensByRole?.[role]?.items ?? [];
  return [...spec, ...status];
}

/** Whether a token (by its jti, or its issued-at time for tokens recorded without an id) is recorded. */
export function tokenListed(tokens: ProjectRoleToken[], jti: string, iat: number): boolean {
  return tokens.some((t) => (t.id ? t.id === jti : Number(t.iat) === iat));
}
