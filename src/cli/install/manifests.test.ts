import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/index.js';
import { main } from '../main.js';
import type { Out } from '../output.js';
import { installFile, installManifests, manifestsYaml } from './manifests.js';
import { AGGREGATE_LABEL } from './rbac.js';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const root = join(import.meta.dirname, '../../..');
const find = (objs: KubeObject[], kind: string, name: string) =>
  objs.find((o) => o.kind === kind && o.metadata.name === name)!;
const rulesOf = (objs: KubeObject[], kind: string) =>
  objs.filter((o) => o.kind === kind).flatMap((o) => (o.rules as Rule[] | undefined) ?? []);
/** Rules that would let the holder `verb` core Secrets (any Secret unless `named`, which also counts rules limited by name). */
const grantsSecrets = (rules: Rule[], verb: string, named = false) =>
  rules.some(
    (r) =>
      (r.apiGroups.includes('') || r.apiGroups.includes('*')) &&
      (r.resources.includes('secrets') || r.resources.includes('*')) &&
      (r.verbs.includes(verb) || r.verbs.includes('*')) &&
      (named || !r.resourceNames),
  );

function capture(): Out & { text: string } {
  return {
    text: '',
    isTTY: false,
    write(t) {
      this.text += t;
    },
  };
}

describe('installManifests', () => {
  const objs = installManifests({ namespace: 'gitops', image: 'example.com/mooring:1' });

  it('lists what an install needs, in apply order', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/gitops',
      'CustomResourceDefinition/applications.argoproj.io',
      'CustomResourceDefinition/appprojects.argoproj.io',
      'CustomResourceDefinition/applicationsets.argoproj.io',
      'ServiceAccount/mooring-controller',
      'ClusterRole/mooring-controller-gitops',
      'ClusterRoleBinding/mooring-controller-gitops',
      'ClusterRole/mooring-controller-gitops-workloads',
      'Role/mooring-controller',
      'RoleBinding/mooring-controller',
      'Deployment/mooring-server',
      'Service/mooring-server',
      'PodDisruptionBudget/mooring-server',
    ]);
  });

  it('reads Secrets only in its own namespace, and never escalates or impersonates', () => {
    const cluster = rulesOf(objs, 'ClusterRole');
    for (const verb of ['get', 'list', 'watch', 'create', 'patch', 'delete'])
      expect(grantsSecrets(cluster, verb)).toBe(false);
    const role = find(objs, 'Role', 'mooring-controller');
    expect(role.metadata.namespace).toBe('gitops');
    expect(grantsSecrets(role.rules as Rule[], 'list')).toBe(true);
    // The server creates its own Secrets (signing key, initial admin password, revoked sessions)
    // and may change only those, by name; it deletes none.
    expect(grantsSecrets(role.rules as Rule[], 'create')).toBe(true);
    expect(grantsSecrets(role.rules as Rule[], 'patch')).toBe(false);
    expect(grantsSecrets(role.rules as Rule[], 'delete', true)).toBe(false);
    expect((role.rules as Rule[]).find((r) => r.resourceNames)).toEqual({
      apiGroups: [''],
      resources: ['secrets'],
      resourceNames: ['argocd-secret', 'argocd-initial-admin-secret', 'mooring-revoked-tokens'],
      verbs: ['patch', 'update'],
    });
    for (const r of [...cluster, ...rulesOf(objs, 'Role')]) {
      expect(r.verbs).not.toContain('*');
      expect(r.verbs).not.toContain('escalate');
      expect(r.verbs).not.toContain('bind');
      expect(r.verbs).not.toContain('impersonate');
      expect(r.apiGroups).not.toContain('*');
    }
  });

  it('lets the ApplicationSet controller watch sets, write their status and write Applications, in its own namespace only', () => {
    const role = find(objs, 'Role', 'mooring-controller');
    const grants = (rules: Rule[], resource: string, verb: string) =>
      rules.some(
        (r) =>
          r.apiGroups.includes('argoproj.io') && r.resources.includes(resource) && r.verbs.includes(verb),
      );
    for (const verb of ['get', 'list', 'watch', 'patch', 'update'])
      expect(grants(role.rules as Rule[], 'applicationsets', verb)).toBe(true);
    for (const verb of ['get', 'patch', 'update'])
      expect(grants(role.rules as Rule[], 'applicationsets/status', verb)).toBe(true);
    // Generated Applications are created, applied (server-side apply = patch) and deleted by the set.
    for (const verb of ['create', 'patch', 'delete'])
      expect(grants(role.rules as Rule[], 'applications', verb)).toBe(true);
    expect(grants(rulesOf(objs, 'ClusterRole'), 'applicationsets', 'list')).toBe(false);
  });

  it('aggregates only ClusterRoles labelled for its own namespace', () => {
    const parent = find(objs, 'ClusterRole', 'mooring-controller-gitops');
    expect(parent.aggregationRule).toEqual({
      clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_LABEL]: 'gitops' } }],
    });
    // Left to the aggregation controller: a re-apply must not empty them.
    expect(parent).not.toHaveProperty('rules');
    expect(find(objs, 'ClusterRole', 'mooring-controller-gitops-workloads').metadata.labels).toMatchObject({
      [AGGREGATE_LABEL]: 'gitops',
    });
    const binding = find(objs, 'ClusterRoleBinding', 'mooring-controller-gitops');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'mooring-controller', namespace: 'gitops' },
    ]);
  });

  it('runs mooring server non-root on a read-only root filesystem, probed on 8080', () => {
    const d = find(objs, 'Deployment', 'mooring-server') as KubeObject & {
      spec: { replicas: number; template: { spec: Record<string, unknown> } };
    };
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec as {
      serviceAccountName: string;
      securityContext: { runAsNonRoot: boolean };
      containers: Record<string, unknown>[];
    };
    expect(pod.serviceAccountName).toBe('mooring-controller');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const c = pod.containers[0]!;
    expect(c.image).toBe('example.com/mooring:1');
    expect(c.args).toEqual([
      'server',
      '--namespace',
      'gitops',
      '--cache-dir',
      '/var/cache/mooring',
      '--port',
      '8080',
      '--shard-by',
      'app',
    ]);
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz' } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz' } });
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([{ name: 'cache', mountPath: '/var/cache/mooring' }]),
    );
    expect(find(objs, 'Service', 'mooring-server').spec).toMatchObject({ ports: [{ port: 8080 }] });
  });

  it('grants Application rights in each extra namespace and lists Applications cluster-wide', () => {
    const more = installManifests({ applicationNamespaces: ['team-a', 'team-b'] });
    const args = (
      find(more, 'Deployment', 'mooring-server').spec as never as {
        template: { spec: { containers: { args: string[] }[] } };
      }
    ).template.spec.containers[0]!.args;
    expect(args).toContain('team-a,team-b');
    for (const ns of ['team-a', 'team-b']) {
      const role = more.find((o) => o.kind === 'Role' && o.metadata.namespace === ns)!;
      expect(role.metadata.name).toBe('mooring-controller-argocd');
      expect(grantsSecrets(role.rules as Rule[], 'get')).toBe(false);
      expect(more.find((o) => o.kind === 'RoleBinding' && o.metadata.namespace === ns)?.subjects).toEqual([
        { kind: 'ServiceAccount', name: 'mooring-controller', namespace: 'argocd' },
      ]);
    }
    expect(find(more, 'ClusterRole', 'mooring-controller-argocd-applications').rules).toEqual([
      { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['get', 'list', 'watch'] },
    ]);
  });

  it('grants Secrets cluster-wide only with manageSecrets', () => {
    const withSecrets = installManifests({ manageSecrets: true });
    expect(grantsSecrets(rulesOf(withSecrets, 'ClusterRole'), 'watch')).toBe(true);
  });

  it('grants nothing cluster-wide in namespaced RBAC mode: Roles in its namespace and the application namespaces', () => {
    const objs = installManifests({
      namespace: 'gitops',
      applicationNamespaces: ['team-a'],
      values: { rbac: { mode: 'namespaced' } },
    });
    expect(objs.filter((o) => o.kind.startsWith('Cluster')).map((o) => o.kind)).toEqual([]);
    const workloads = objs.filter((o) => o.metadata.name === 'mooring-controller-gitops-workloads');
    expect(workloads.map((o) => `${o.kind}/${o.metadata.namespace}`)).toEqual([
      'Role/gitops',
      'RoleBinding/gitops',
      'Role/team-a',
      'RoleBinding/team-a',
    ]);
    expect(grantsSecrets(rulesOf(objs, 'Role'), 'create')).toBe(true); // the server's own, in gitops only
    expect(
      grantsSecrets(
        workloads.flatMap((o) => (o.rules as Rule[] | undefined) ?? []),
        'list',
      ),
    ).toBe(false);
    const withSecrets = installManifests({ values: { rbac: { mode: 'namespaced', manageSecrets: true } } });
    const role = find(withSecrets, 'Role', 'mooring-controller-argocd-workloads');
    expect(grantsSecrets(role.rules as Rule[], 'watch')).toBe(true);
  });

  it('runs 2 replicas sharing the apps through Leases, with a PodDisruptionBudget and a rolling update', () => {
    const one = installManifests({ namespace: 'gitops', values: { replicas: 1 } });
    expect(one.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    const objs = installManifests({ namespace: 'gitops' });
    const d = objs.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        replicas: number;
        strategy: { type: string };
        template: { spec: { containers: { args: string[] }[] } };
      };
    };
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.strategy.type).toBe('RollingUpdate');
    expect(d.spec.template.spec.containers[0]!.args.join(' ')).toContain('--shard-by app');
    const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget') as unknown as {
      spec: Record<string, unknown>;
    };
    expect(pdb.spec).toEqual({
      minAvailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'mooring-server' } },
    });
    // The membership Leases, in the control-plane namespace only.
    const role = objs.find(
      (o) =>
        o.kind === 'Role' && o.metadata.namespace === 'gitops' && o.metadata.name === 'mooring-controller',
    ) as unknown as {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    expect(role.rules).toContainEqual({
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
    });
    expect(
      objs.filter((o) => o.kind.startsWith('Cluster')).some((o) => JSON.stringify(o).includes('leases')),
    ).toBe(false);
  });

  it('publishes each pod IP for the Lease (other replicas forward per-app views to it)', () => {
    const d = installManifests({}).find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: { env: { name: string; valueFrom?: unknown }[] }[] } } };
    };
    expect(d.spec.template.spec.containers[0]!.env).toContainEqual({
      name: 'POD_IP',
      valueFrom: { fieldRef: { fieldPath: 'status.podIP' } },
    });
  });

  it('runs the API apart with api.replicas: mooring server --api-only behind the Service', () => {
    const objs = installManifests({ values: { api: { replicas: 2 } } });
    const api = find(objs, 'Deployment', 'mooring-api') as unknown as {
      spec: { replicas: number; template: { spec: { containers: { args: string[] }[] } } };
    };
    expect(api.spec.replicas).toBe(2);
    expect(api.spec.template.spec.containers[0]!.args).toContain('--api-only');
    expect(api.spec.template.spec.containers[0]!.args.join(' ')).toContain('--shard-by app');
    const svc = find(objs, 'Service', 'mooring-server') as unknown as { spec: { selector: unknown } };
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'mooring-api' });
    expect(
      objs
        .filter((o) => o.kind === 'PodDisruptionBudget')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['mooring-api', 'mooring-server']);
    const none = installManifests({});
    expect(none.some((o) => o.metadata.name === 'mooring-api')).toBe(false);
    expect(
      (find(none, 'Service', 'mooring-server') as unknown as { spec: { selector: unknown } }).spec.selector,
    ).toEqual({ 'app.kubernetes.io/name': 'mooring-server' });
    expect(() => installManifests({ values: { api: { replicas: -1 } } })).toThrow(
      /api.replicas must be 0 or more/,
    );
  });

  it('refuses values the controller cannot run with, in one line', () => {
    expect(() => installManifests({ values: { replicas: 0 } })).toThrow(/replicas must be at least 1/);
    expect(() => installManifests({ values: { rbac: { mode: 'everything' } } })).toThrow(/rbac.mode must be/);
    expect(() => installManifests({ values: { server: { ingress: { enabled: true } } } })).toThrow(
      /server.ingress.hosts must list at least one host/,
    );
    expect(() => installManifests({ values: { repositories: [{ url: 'https://x' }] } })).toThrow(
      /needs a name/,
    );
  });

  it('refuses globs and invalid namespace names', () => {
    expect(() => installManifests({ applicationNamespaces: ['team-*'] })).toThrow(/by name, not by glob/);
    expect(() => installManifests({ namespace: 'Argo_CD' })).toThrow(/invalid namespace/);
  });
});

describe('mooring install', () => {
  it('prints YAML that parses back to the manifests', async () => {
    const out = capture();
    expect(await main(['install', '--namespace', 'gitops'], out, capture())).toBe(0);
    const docs = parseAllDocuments(out.text).map((d) => d.toJS() as KubeObject);
    expect(docs).toEqual(installManifests({ namespace: 'gitops' }));
  });

  it('prints a v1 List with -o json', async () => {
    const out = capture();
    expect(await main(['install', '-o', 'json'], out, capture())).toBe(0);
    const list = JSON.parse(out.text) as { kind: string; items: KubeObject[] };
    expect(list.kind).toBe('List');
    expect(list.items).toEqual(installManifests());
  });

  it('takes a values file and flags of single values; refuses an unreadable or non-map file in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mooring-values-'));
    writeFileSync(join(dir, 'v.yaml'), 'server:\n  service:\n    type: NodePort\n');
    const out = capture();
    expect(
      await main(
        ['install', '-f', join(dir, 'v.yaml'), '--rbac-mode', 'namespaced', '-o', 'json'],
        out,
        capture(),
      ),
    ).toBe(0);
    const items = (JSON.parse(out.text) as { items: KubeObject[] }).items;
    expect(find(items, 'Service', 'mooring-server').spec).toMatchObject({ type: 'NodePort' });
    expect(items.some((o) => o.kind === 'ClusterRole')).toBe(false);
    const err = capture();
    expect(await main(['install', '-f', join(dir, 'missing.yaml')], capture(), err)).toBe(2);
    expect(err.text).toMatch(/cannot read values file .*missing.yaml: ENOENT/);
    writeFileSync(join(dir, 'list.yaml'), '- a\n');
    expect(await main(['install', '-f', join(dir, 'list.yaml')], capture(), err)).toBe(2);
    expect(err.text).toMatch(/is not a YAML map/);
  });

  it('exits 2 on a wrong format or namespace', async () => {
    const err = capture();
    expect(await main(['install', '-o', 'table'], capture(), err)).toBe(2);
    expect(err.text).toMatch(/invalid -o "table"/);
    expect(await main(['install', '--application-namespaces', 'team-*'], capture(), capture())).toBe(2);
  });
});

describe('deploy/install.yaml', () => {
  it('is what scripts/gen-install.ts generates now (run it after changing the manifests)', () => {
    const file = installFile();
    expect(readFileSync(join(root, file.path), 'utf8')).toBe(file.content);
    expect(file.content).toContain(manifestsYaml(installManifests()));
  });
});
