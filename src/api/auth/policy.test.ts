import { describe, expect, it } from 'vitest';
import type { AppProject } from '../../core/index.js';
import { RbacEnforcer, rbacConfigFromData } from './enforcer.js';
import { globToRegExp, PatternMatcher } from './glob.js';
import { parsePolicyCsv } from './policy.js';
import { projectOfRequest, projectPolicy } from './project-policy.js';
import type { Principal } from './types.js';

function user(subject: string, groups: string[] = []): Principal {
  return { subject, groups, kind: 'session', tokenId: 't' };
}

function projectToken(project: string, role: string): Principal {
  return {
    subject: `proj:${project}:${role}`,
    groups: [],
    kind: 'project-token',
    project,
    role,
    tokenId: 't',
  };
}

function project(name: string, roles: AppProject['spec']['roles'] = []): AppProject {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name }, spec: { roles } };
}

function enforcer(data: Record<string, string>, projects: AppProject[] = []): RbacEnforcer {
  const e = new RbacEnforcer((n) => projects.find((p) => p.metadata.name === n));
  e.setConfig(rbacConfigFromData(data));
  return e;
}

describe('glob matching (Argo CD RBAC: no separators)', () => {
  const m = new PatternMatcher();
  it.each([
    ['default/app', '*', true],
    ['default/app', '*/*', true],
    ['default/ns/app', 'default/*', true],
    ['default/ns/app', '*/ns/*', true],
    ['other/app', 'default/*', false],
    ['defaultx/app', 'default/*', false],
    ['action/apps/Deployment/restart', 'action/*', true],
    ['action/apps/Deployment/restart', 'action/apps/*/restart', true],
    ['sync', 'get', false],
    ['prod-a/app', '{prod,stage}-*/*', true],
    ['dev-a/app', '{prod,stage}-*/*', false],
    ['v1', 'v?', true],
    ['b/x', '[abc]/*', true],
    ['d/x', '[!abc]/*', true],
    ['a.b', 'a.b', true],
    ['axb', 'a.b', false],
  ])('%s against %s → %s', (value, pattern, want) => {
    expect(m.match(value, pattern)).toBe(want);
  });

  it('anchors the whole value and escapes regex characters', () => {
    expect(globToRegExp('a+b(c)').test('a+b(c)')).toBe(true);
    expect(globToRegExp('a*').test('xa')).toBe(false);
  });
});

describe('policy.csv parsing', () => {
  it('reads p and g lines, comments, quotes and a default effect; reports bad lines', () => {
    const parsed = parsePolicyCsv(
      [
        '# a comment',
        '',
        'p, role:ci, applications, sync, default/*, allow',
        'p, role:ci, applications, delete, default/*, deny',
        '  p, "role:quoted", applications, get, "a,b/*"  ',
        'g, ci-bot, role:ci',
        'p, too, few',
        'p, x, applications, get, */*, maybe',
        'x, y, z',
      ].join('\n'),
    );
    expect(parsed.rules).toEqual([
      { subject: 'role:ci', resource: 'applications', action: 'sync', object: 'default/*', effect: 'allow' },
      { subject: 'role:ci', resource: 'applications', action: 'delete', object: 'default/*', effect: 'deny' },
      { subject: 'role:quoted', resource: 'applications', action: 'get', object: 'a,b/*', effect: 'allow' },
    ]);
    expect(parsed.bindings).toEqual([{ member: 'ci-bot', role: 'role:ci' }]);
    expect(parsed.errors.map((e) => e.line)).toEqual([7, 8, 9]);
  });

  it('concatenates policy.csv with policy.<name>.csv keys and reads policy.default', () => {
    const c = rbacConfigFromData({
      'policy.csv': 'g, a, role:admin',
      'policy.team-b.csv': 'g, b, role:admin',
      'policy.default': ' role:readonly ',
      'policy.notcsv': 'g, c, role:admin',
    });
    expect(c.csv).toBe('g, a, role:admin\ng, b, role:admin');
    expect(c.defaultRole).toBe('role:readonly');
  });
});

describe('RBAC enforcement', () => {
  it('built-in: admin may do everything; nobody else anything without a policy', () => {
    const e = enforcer({});
    expect(e.can(user('admin'), 'applications', 'delete', 'default/app')).toBe(true);
    expect(e.can(user('admin'), 'clusters', 'create', 'https://x')).toBe(true);
    expect(e.can(user('alice'), 'applications', 'get', 'default/app')).toBe(false);
  });

  it('policy.default applies to every authenticated principal', () => {
    const e = enforcer({ 'policy.default': 'role:readonly' });
    expect(e.can(user('alice'), 'applications', 'get', 'default/app')).toBe(true);
    expect(e.can(user('alice'), 'repositories', 'get', 'https://git.example/r.git')).toBe(true);
    expect(e.can(user('alice'), 'applications', 'sync', 'default/app')).toBe(false);
  });

  it('deny wins over allow, through transitive roles', () => {
    const e = enforcer({
      'policy.csv': [
        'p, role:deployer, applications, *, */*, allow',
        'p, role:no-prod, applications, delete, prod/*, deny',
        'g, role:ci, role:deployer',
        'g, role:ci, role:no-prod',
        'g, ci-bot, role:ci',
      ].join('\n'),
    });
    const bot = user('ci-bot');
    expect(e.can(bot, 'applications', 'sync', 'prod/web')).toBe(true);
    expect(e.can(bot, 'applications', 'delete', 'staging/web')).toBe(true);
    expect(e.can(bot, 'applications', 'delete', 'prod/web')).toBe(false);
    expect(e.can(bot, 'applications', 'delete', 'prod/team-ns/web')).toBe(false);
    expect(e.can(bot, 'clusters', 'get', 'https://x')).toBe(false);
  });

  it("takes away the default role's permissions with a deny (stricter than Argo CD)", () => {
    const e = enforcer({
      'policy.default': 'role:readonly',
      'policy.csv': 'p, alice, applications, get, prod/*, deny',
    });
    expect(e.can(user('alice'), 'applications', 'get', 'prod/web')).toBe(false);
    expect(e.can(user('alice'), 'applications', 'get', 'staging/web')).toBe(true);
    expect(e.can(user('bob'), 'applications', 'get', 'prod/web')).toBe(true);
  });

  it("grants through groups; a group's deny wins over the user's own allow", () => {
    const e = enforcer({
      'policy.csv': [
        'p, team-a, applications, sync, team-a/*, allow',
        'p, bob, applications, get, */*, allow',
        'p, team-b, applications, get, */*, deny',
      ].join('\n'),
    });
    expect(e.can(user('carol', ['team-a']), 'applications', 'sync', 'team-a/web')).toBe(true);
    expect(e.can(user('carol', ['team-a']), 'applications', 'sync', 'team-b/web')).toBe(false);
    expect(e.can(user('bob', ['team-b']), 'applications', 'get', 'x/web')).toBe(false);
    expect(e.can(user('bob'), 'applications', 'get', 'x/web')).toBe(true);
  });

  it('matches app-in-any-namespace objects: default/* covers default/ns/app, */ns/* only that namespace', () => {
    const e = enforcer({
      'policy.csv': [
        'p, alice, applications, get, default/*, allow',
        'p, bob, applications, get, */team-ns/*, allow',
      ].join('\n'),
    });
    expect(e.can(user('alice'), 'applications', 'get', 'default/other-ns/app')).toBe(true);
    expect(e.can(user('bob'), 'applications', 'get', 'default/team-ns/app')).toBe(true);
    expect(e.can(user('bob'), 'applications', 'get', 'default/other-ns/app')).toBe(false);
  });

  it('action/* and override', () => {
    const e = enforcer({
      'policy.csv': [
        'p, ops, applications, action/*, default/*, allow',
        'p, ops, applications, override, default/*, deny',
      ].join('\n'),
    });
    expect(e.can(user('ops'), 'applications', 'action/apps/Deployment/restart', 'default/web')).toBe(true);
    expect(e.can(user('ops'), 'applications', 'override', 'default/web')).toBe(false);
  });

  it('skips unreadable lines and keeps the rest', () => {
    const e = enforcer({ 'policy.csv': 'p, broken\ng, alice, role:admin' });
    expect(e.errors).toHaveLength(1);
    expect(e.can(user('alice'), 'applications', 'delete', 'x/y')).toBe(true);
  });

  it('applies a new configuration at once', () => {
    const e = enforcer({});
    expect(e.can(user('alice'), 'applications', 'get', 'a/b')).toBe(false);
    e.setConfig(rbacConfigFromData({ 'policy.csv': 'g, alice, role:readonly' }));
    expect(e.can(user('alice'), 'applications', 'get', 'a/b')).toBe(true);
  });
});

describe('project roles', () => {
  const team = project('team', [
    {
      name: 'ci',
      policies: [
        'p, proj:team:ci, applications, sync, team/*, allow',
        'p, proj:team:ci, applications, get, team/*, allow',
        'p, proj:team:ci, applications, delete, team/*, deny',
        // Reaching out of the project grants nothing:
        'p, proj:team:ci, applications, get, other/*, allow',
        'p, proj:team:ci, applications, get, */*, allow',
        'p, proj:other:ci, applications, get, team/*, allow',
        'p, proj:team:ci, clusters, get, *, allow',
      ],
      groups: ['team-devs'],
    },
  ]);
  const other = project('other', [
    { name: 'ci', policies: ['p, proj:other:ci, applications, get, other/*, allow'] },
  ]);
  const e = enforcer({}, [team, other]);

  it("give a project token its role's policies on its own project's objects only", () => {
    const t = projectToken('team', 'ci');
    expect(e.can(t, 'applications', 'sync', 'team/web')).toBe(true);
    expect(e.can(t, 'applications', 'get', 'team/ns/web')).toBe(true);
    expect(e.can(t, 'applications', 'delete', 'team/web')).toBe(false);
    expect(e.can(t, 'applications', 'get', 'other/web')).toBe(false);
    expect(e.can(t, 'applications', 'get', 'nonexistent/web')).toBe(false);
    expect(e.can(t, 'clusters', 'get', 'https://kubernetes.default.svc')).toBe(false);
    expect(e.can(t, 'projects', 'get', 'team')).toBe(true);
    expect(e.can(t, 'projects', 'get', 'other')).toBe(false);
  });

  it('refuse lines naming another project or subject, and report them', () => {
    const refused = projectPolicy(team).refused.map((r) => r.line);
    expect(refused).toEqual([
      'p, proj:team:ci, applications, get, other/*, allow',
      'p, proj:team:ci, applications, get, */*, allow',
      'p, proj:other:ci, applications, get, team/*, allow',
      'p, proj:team:ci, clusters, get, *, allow',
    ]);
  });

  it("bind the role's groups to it", () => {
    expect(e.can(user('dana', ['team-devs']), 'applications', 'sync', 'team/web')).toBe(true);
    expect(e.can(user('dana', ['team-devs']), 'applications', 'sync', 'other/web')).toBe(false);
    expect(e.can(user('dana'), 'applications', 'sync', 'team/web')).toBe(false);
  });

  it('tell the project of a request', () => {
    expect(projectOfRequest('applications', 'p/ns/app')).toBe('p');
    expect(projectOfRequest('projects', 'p')).toBe('p');
    expect(projectOfRequest('clusters', 'https://x')).toBe('https:');
    expect(projectOfRequest('accounts', 'admin')).toBeUndefined();
  });
});
