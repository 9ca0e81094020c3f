import { silentLogger, type AppProject, type Logger } from '../../core/index.js';
import { PatternMatcher } from './glob.js';
import { BUILTIN_POLICY_CSV, parsePolicyCsv, PolicySet } from './policy.js';
import { projectOfRequest, projectPolicy } from './project-policy.js';
import type { Principal, ProjectLookup } from './types.js';

/** What argocd-rbac-cm configures. */
export interface RbacConfig {
  /** policy.csv followed by every policy.<name>.csv (in key order). */
  csv: string;
  /** policy.default: a role every authenticated principal has at least. */
  defaultRole: string;
  /** policy.matchMode: glob (default) or regex. */
  matchMode: 'glob' | 'regex';
}

/** Reads argocd-rbac-cm's data the way Argo CD does (missing ConfigMap: no user policy). */
export function rbacConfigFromData(data: Record<string, string> | undefined): RbacConfig {
  const d = data ?? {};
  const extra = Object.keys(d)
    .filter((k) => /^policy\..+\.csv$/.test(k))
    .sort()
    .map((k) => d[k]!);
  return {
    csv: [d['policy.csv'] ?? '', ...extra].join('\n'),
    defaultRole: (d['policy.default'] ?? '').trim(),
    matchMode: d['policy.matchMode']?.trim() === 'regex' ? 'regex' : 'glob',
  };
}

/**
 * Answers RBAC questions with Argo CD's semantics: the built-in policy plus policy.csv; the default
 * role is checked first and its allow cannot be denied (Argo CD documents the same); then the
 * subject and then each of its groups, each on its own (within one subject a deny wins over any
 * allow, roles are followed transitively). Objects of a project also see that project's role
 * policies; a project token is refused on another project's objects.
 */
export class RbacEnforcer {
  private base: PolicySet;
  private config: RbacConfig = { csv: '', defaultRole: '', matchMode: 'glob' };
  private generation = 0;
  private readonly projectSets = new Map<string, { key: string; set: PolicySet }>();
  private readonly logger: Logger;
  /** The policy lines of the last configuration that could not be read. */
  errors: { line: number; message: string }[] = [];

  constructor(
    private readonly projects: ProjectLookup,
    logger?: Logger,
  ) {
    this.logger = logger ?? silentLogger;
    this.base = this.compile(this.config);
  }

  /** Replaces the configuration (bad lines are skipped and logged). */
  setConfig(config: RbacConfig): void {
    if (
      config.csv === this.config.csv &&
      config.defaultRole === this.config.defaultRole &&
      config.matchMode === this.config.matchMode
    ) {
      return;
    }
    this.config = config;
    this.base = this.compile(config);
    this.generation++;
    this.projectSets.clear();
  }

  private compile(config: RbacConfig): PolicySet {
    const builtin = parsePolicyCsv(BUILTIN_POLICY_CSV);
    const user = parsePolicyCsv(config.csv);
    this.errors = user.errors;
    for (const e of user.errors) {
      this.logger.warn('skipping an unreadable line of the RBAC policy', { line: e.line, reason: e.message });
    }
    return new PolicySet(
      [...builtin.rules, ...user.rules],
      [...builtin.bindings, ...user.bindings],
      new PatternMatcher(config.matchMode),
    );
  }

  /** The policy for a request on a project's object: base plus the project's roles (cached per version). */
  private setFor(project: AppProject | undefined): PolicySet {
    if (!project?.spec?.roles?.length) return this.base;
    const name = project.metadata.name ?? '';
    const key = `${this.generation}/${project.metadata.uid ?? ''}/${project.metadata.resourceVersion ?? ''}`;
    const cached = this.projectSets.get(name);
    if (cached && cached.key === key && project.metadata.resourceVersion) return cached.set;
    const pp = projectPolicy(project);
    for (const r of pp.refused) {
      this.logger.warn('ignoring a project role policy line', {
        project: name,
        role: r.role,
        reason: r.reason,
      });
    }
    const set = this.base.extend(pp.rules, pp.bindings);
    if (this.projectSets.size > 5_000) this.projectSets.clear();
    this.projectSets.set(name, { key, set });
    return set;
  }

  /** Whether the principal may do action on resource's object. */
  can(principal: Principal, resource: string, action: string, object: string): boolean {
    const projectName = projectOfRequest(resource, object);
    const project = projectName ? this.projects(projectName) : undefined;
    const set = this.setFor(project);
    const defaultRole = this.config.defaultRole;
    if (principal.kind === 'project-token' && project && project.metadata.name !== principal.project) {
      return false;
    }
    // Deny wins across everything that applies to the caller: the default role, the subject and each
    // of its groups. (Argo CD lets policy.default's allows survive a deny; a deny line that does
    // nothing surprises people, so Mooring does not.)
    const subjects = [principal.subject];
    if (principal.kind !== 'project-token') {
      if (defaultRole) subjects.push(defaultRole);
      subjects.push(...principal.groups.filter((g) => set.mentions(g)));
    }
    let allowed = false;
    for (const s of subjects) {
      const decision = set.decide(s, resource, action, object);
      if (decision === 'deny') return false;
      if (decision === 'allow') allowed = true;
    }
    return allowed;
  }
}
