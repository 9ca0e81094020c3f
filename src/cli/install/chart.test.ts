import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/index.js';
import { locateTools, requireTool } from '../../render/tools.js';
import { main } from '../main.js';
import type { Out } from '../output.js';
import { CHART_DIR, chartFiles } from './chart.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../../..');
const chart = join(root, CHART_DIR);
const helm = () => requireTool(locateTools(), 'helm');

function capture(): Out & { text: string } {
  return {
    text: '',
    isTTY: false,
    write(t) {
      this.text += t;
    },
  };
}

/** `helm template` of the chart in namespace gitops with these values: its objects. */
async function helmTemplate(valuesFile: string | undefined, args: string[] = []): Promise<KubeObject[]> {
  const { stdout } = await run(
    helm(),
    [
      'template',
      'mooring',
      chart,
      '--namespace',
      'gitops',
      ...(valuesFile ? ['-f', valuesFile] : []),
      ...args,
    ],
    { maxBuffer: 64 << 20 },
  );
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/** `mooring install -o json` in namespace gitops with these flags: its objects. */
async function mooringInstall(args: string[]): Promise<KubeObject[]> {
  const out = capture();
  const err = capture();
  expect(await main(['install', '--namespace', 'gitops', '-o', 'json', ...args], out, err), err.text).toBe(0);
  return (JSON.parse(out.text) as { items: KubeObject[] }).items;
}

const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const byKey = (objs: KubeObject[]) => Object.fromEntries(objs.map((o) => [key(o), o]));

describe('deploy/chart/mooring', () => {
  it('is what scripts/gen-chart.ts generates now (run it after changing src/cli/install)', () => {
    const files = chartFiles();
    for (const [path, content] of files) expect(readFileSync(join(root, path), 'utf8'), path).toBe(content);
    // No template left over from an older generation.
    expect(readdirSync(join(chart, 'templates')).sort()).toEqual(
      [...files.keys()]
        .filter((p) => p.startsWith(`${CHART_DIR}/templates/`))
        .map((p) => p.slice(`${CHART_DIR}/templates/`.length))
        .sort(),
    );
  });

  it('passes helm lint', async () => {
    const { stdout } = await run(helm(), ['lint', '--strict', chart]);
    expect(stdout).toContain('0 chart(s) failed');
  });

  const dir = mkdtempSync(join(tmpdir(), 'mooring-chart-'));
  const valuesFile = (name: string, values: unknown) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, stringify(values));
    return file;
  };
  // Each case: a values file (given to both), and flags of `mooring install` with their `--set` twins.
  // `has`: objects the case must produce (so that it exercises what it names).
  const cases: { name: string; values?: unknown; flags?: string[]; sets?: string[]; has: string[] }[] = [
    {
      name: 'defaults',
      has: [
        'CustomResourceDefinition//applications.argoproj.io',
        'ClusterRole//mooring-controller-gitops-workloads',
      ],
    },
    {
      name: 'namespaced RBAC',
      flags: ['--rbac-mode', 'namespaced'],
      sets: ['rbac.mode=namespaced'],
      has: ['Role/gitops/mooring-controller-gitops-workloads'],
    },
    {
      name: 'manageSecrets',
      flags: ['--manage-secrets'],
      sets: ['rbac.manageSecrets=true'],
      has: ['ClusterRole//mooring-controller-gitops-secrets'],
    },
    {
      name: 'application namespaces, namespaced, with secrets',
      flags: ['--application-namespaces', 'team-a,team-b,gitops,team-a', '--rbac-mode', 'namespaced'],
      values: { rbac: { manageSecrets: true } },
      sets: ['applicationNamespaces={team-a,team-b,gitops,team-a}', 'rbac.mode=namespaced'],
      has: [
        'Role/team-b/mooring-controller-gitops-workloads',
        'RoleBinding/team-a/mooring-controller-gitops',
      ],
    },
    {
      name: 'application namespaces, cluster-wide',
      flags: ['--application-namespaces', 'team-a'],
      sets: ['applicationNamespaces={team-a}'],
      has: ['ClusterRole//mooring-controller-gitops-applications', 'Role/team-a/mooring-controller-gitops'],
    },
    {
      name: 'ingress, service, image, resources',
      values: {
        server: {
          service: { type: 'LoadBalancer', port: 443, annotations: { 'example.com/lb': 'internal' } },
          ingress: {
            enabled: true,
            className: 'nginx',
            hosts: ['mooring.example.com', 'gitops.example.com'],
            tls: [{ secretName: 'mooring-tls', hosts: ['mooring.example.com'] }],
            annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTP' },
          },
        },
        image: { pullPolicy: 'Always' },
        resources: { requests: { cpu: '250m', memory: '512Mi' } },
      },
      flags: ['--image', 'registry.example.com:5000/team/mooring:1.2.3'],
      sets: ['image.repository=registry.example.com:5000/team/mooring', 'image.tag=1.2.3'],
      has: ['Ingress/gitops/mooring-server'],
    },
    {
      name: 'one replica, an API Deployment of its own',
      values: { replicas: 1, api: { replicas: 3 } },
      sets: ['replicas=1', 'api.replicas=3'],
      has: [
        'Deployment/gitops/mooring-api',
        'PodDisruptionBudget/gitops/mooring-api',
        'Service/gitops/mooring-server',
      ],
    },
    {
      name: 'notifications, SSO, repositories, no CRDs',
      values: {
        notifications: {
          cm: {
            'service.webhook.hook': 'url: https://hooks.example.com/x\n',
            'trigger.on-deployed': '- send: [x]\n',
          },
        },
        sso: {
          url: 'https://mooring.example.com',
          oidcConfig:
            'name: Okta\nissuer: https://example.okta.com\nclientID: abc\nclientSecret: $oidc.okta.clientSecret\n',
        },
        repositories: [
          { name: 'repo-a', url: 'https://git.example.com/a.git', username: 'git', password: 'p%s"w' },
          { name: 'repo-b', url: 'git@example.com:b.git', type: 'git' },
        ],
      },
      flags: ['--skip-crds'],
      sets: ['crds.install=false'],
      has: ['ConfigMap/gitops/argocd-notifications-cm', 'ConfigMap/gitops/argocd-cm', 'Secret/gitops/repo-b'],
    },
  ];

  it.each(cases)('helm template gives the objects of mooring install: $name', async (c) => {
    const file = c.values ? valuesFile(c.name.replace(/\W+/g, '-'), c.values) : undefined;
    const fromHelm = await helmTemplate(
      file,
      (c.sets ?? []).flatMap((s) => ['--set', s]),
    );
    const fromCli = (await mooringInstall([...(file ? ['-f', file] : []), ...(c.flags ?? [])]))
      // Helm creates the release namespace itself (--create-namespace).
      .filter((o) => o.kind !== 'Namespace');
    expect(fromHelm.map(key).sort()).toEqual(fromCli.map(key).sort());
    expect(byKey(fromHelm)).toEqual(byKey(fromCli));
    for (const k of [...c.has, 'Deployment/gitops/mooring-server']) expect(fromHelm.map(key)).toContain(k);
  });

  it('refuses zero replicas, with the same message in both, and adds a PodDisruptionBudget above one', async () => {
    const err = await run(helm(), ['template', 'mooring', chart, '--set', 'replicas=0']).catch(
      (e: { stderr: string }) => e,
    );
    expect((err as { stderr: string }).stderr).toContain('replicas must be at least 1');
    const file = valuesFile('replicas', { replicas: 0 });
    const cliErr = capture();
    expect(await main(['install', '-f', file], capture(), cliErr)).toBe(2);
    expect(cliErr.text).toContain('replicas must be at least 1');
    // 2 replicas by default, with their PodDisruptionBudget; 1 replica has none.
    expect(
      (await helmTemplate(undefined))
        .filter((o) => o.kind === 'PodDisruptionBudget')
        .map((o) => o.metadata.name),
    ).toEqual(['mooring-server']);
    const one = await helmTemplate(undefined, ['--set', 'replicas=1']);
    expect(one.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  it('never templates the Secrets the server writes (sessions, admin password, signing key)', async () => {
    const objs = await helmTemplate(undefined, [
      '--set',
      'repositories[0].name=r',
      '--set',
      'repositories[0].url=https://x',
    ]);
    const secrets = objs.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name);
    expect(secrets).toEqual(['r']);
    expect(existsSync(join(chart, 'templates'))).toBe(true);
  });
});
