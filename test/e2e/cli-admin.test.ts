import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectl, uniqueName } from '../harness/cluster.js';
import { runMooring, type CliResult } from '../harness/cli.js';

/** Runs `mooring` with the suite's kubeconfig (and -n when given). */
function mooring(args: string[], opts: { ns?: string; kubeconfig?: string } = {}): Promise<CliResult> {
  const global = [
    '--kubeconfig',
    opts.kubeconfig ?? inject('kubeconfig'),
    ...(opts.ns ? ['-n', opts.ns] : []),
  ];
  return runMooring([...args, ...global]);
}

interface SecretJson {
  metadata: { labels?: Record<string, string> };
  data: Record<string, string>;
}
const decode = (s: SecretJson) =>
  Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

// `mooring repo|cluster|proj …` as a user runs them, against the suite's cluster.
describe('mooring repo, cluster and proj', () => {
  const ns = uniqueName('cli-admin');
  const run = (...args: string[]) => mooring(args, { ns });
  let dir: string;

  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
    dir = await mkdtemp(join(tmpdir(), 'mooring-cli-admin-'));
  });
  afterAll(async () => {
    await kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  const secrets = async (type: string) =>
    (
      JSON.parse(
        await kubectl([
          'get',
          'secrets',
          '-n',
          ns,
          '-l',
          `argocd.argoproj.io/secret-type=${type}`,
          '-o',
          'json',
        ]),
      ) as { items: SecretJson[] }
    ).items;

  it('adds, lists and removes repositories, never showing a credential', async () => {
    const url = 'https://git.example.com/myorg/myapp-config.git';
    const password = 'pw-' + uniqueName('secret');
    expect(await run('repo', 'add', url, '--username', 'ci', '--password', password)).toEqual({
      code: 0,
      out: `repository "${url}" added\n`,
      err: '',
    });
    expect(await run('repo', 'add', url, '--username', 'ci', '--password', password)).toEqual({
      code: 1,
      out: '',
      err: `mooring: repository "${url}" already exists: use --upsert to update it\n`,
    });
    expect((await run('repo', 'add', url, '--username', 'ci', '--password', password, '--upsert')).out).toBe(
      `repository "${url}" updated\n`,
    );
    const [secret] = await secrets('repository');
    expect(decode(secret!)).toEqual({ type: 'git', url, username: 'ci', password });

    const key = join(dir, 'id_ed25519');
    await writeFile(
      key,
      '-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    const sshURL = 'git@git.example.com:myorg/other.git';
    expect((await run('repo', 'add', sshURL, '--ssh-private-key-path', key)).code).toBe(0);
    expect((await run('repo', 'add', 'git@x:y.git', '--ssh-private-key-path', join(dir, 'nope'))).err).toBe(
      `mooring: cannot read ${join(dir, 'nope')}: ENOENT\n`,
    );

    const table = await run('repo', 'list');
    expect(table.code).toBe(0);
    expect(table.out.split('\n').map((l) => l.split(/\s+/))).toEqual([
      ['TYPE', 'REPO', 'USER'],
      ['git', sshURL],
      ['git', url, 'ci'],
      [''],
    ]);
    const json = await run('repo', 'list', '-o', 'json');
    expect(JSON.parse(json.out)).toEqual([
      { type: 'git', name: '', repo: sshURL, username: '' },
      { type: 'git', name: '', repo: url, username: 'ci' },
    ]);
    for (const out of [table.out, json.out, (await run('repo', 'list', '-o', 'yaml')).out]) {
      expect(out).not.toContain(password);
      expect(out).not.toContain('PRIVATE KEY');
    }

    expect((await run('repo', 'rm', url)).out).toBe(`repository "${url}" removed\n`);
    expect(await run('repo', 'rm', url)).toEqual({
      code: 3,
      out: '',
      err: `mooring: repository "${url}" not found: see 'mooring repo list'\n`,
    });
  });

  it('adds a cluster from a kubeconfig context with a cluster-admin ServiceAccount token', async () => {
    const context = (await kubectl(['config', 'current-context'])).trim();
    const name = uniqueName('cluster');
    const add = await run('cluster', 'add', context, '--name', name, '--upsert');
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
    expect(add.out).toMatch(new RegExp(`^cluster "https://[^"]+" (added|updated) as "${name}"\\n$`));
    const [secret] = await secrets('cluster');
    const data = decode(secret!);
    expect(data.name).toBe(name);
    const config = JSON.parse(data.config!) as { bearerToken: string; tlsClientConfig: { caData?: string } };
    expect(config.bearerToken.length).toBeGreaterThan(20);
    // The token is the ServiceAccount's, bound to cluster-admin.
    expect((await kubectl(['--token', config.bearerToken, 'auth', 'can-i', '*', '*'])).trim()).toBe('yes');

    const list = await run('cluster', 'list');
    expect(list.out).toMatch(/^SERVER\s+NAME\nhttps:\/\/kubernetes\.default\.svc\s+in-cluster\n/);
    expect(list.out).toMatch(new RegExp(`\\n${data.server!.replace(/\./g, '\\.')}\\s+${name}\\n`));
    expect(list.out).not.toContain(config.bearerToken);
    expect(JSON.parse((await run('cluster', 'list', '-o', 'json')).out)).toEqual([
      { server: 'https://kubernetes.default.svc', name: 'in-cluster' },
      { server: data.server, name },
    ]);
    expect((await run('cluster', 'add', 'no-such-context')).code).toBe(3);
    expect((await run('cluster', 'rm', name)).out).toBe(`cluster "${name}" removed\n`);
    expect((await run('cluster', 'rm', name)).code).toBe(3);
  });

  it('creates, lists and shows projects', async () => {
    const create = [
      'proj',
      'create',
      'team-a',
      '--src',
      'https://git.example.com/team-a/*',
      '--dest',
      'https://kubernetes.default.svc,team-a',
      '--dest',
      'https://kubernetes.default.svc,team-a-*',
      '-d',
      'Team A',
    ];
    expect(await run(...create)).toEqual({ code: 0, out: 'project "team-a" created\n', err: '' });
    expect((await run(...create)).err).toBe(
      'mooring: project "team-a" already exists: use --upsert to update it\n',
    );
    expect((await run(...create, '--upsert')).out).toBe('project "team-a" updated\n');
    const list = await run('proj', 'list');
    expect(list.out.split('\n').map((l) => l.split(/\s{3,}/))).toEqual([
      [
        'NAME',
        'DESCRIPTION',
        'DESTINATIONS',
        'SOURCES',
        'CLUSTER-RESOURCE-WHITELIST',
        'NAMESPACE-RESOURCE-BLACKLIST',
      ],
      ['team-a', 'Team A', '2 destinations', 'https://git.example.com/team-a/*', '<none>', '<none>'],
      [''],
    ]);
    const get = await run('proj', 'get', 'team-a');
    expect(get.out).toContain('Description:                  Team A\n');
    expect(get.out).toContain(
      'Destinations:                 https://kubernetes.default.svc,team-a\n                              https://kubernetes.default.svc,team-a-*\n',
    );
    expect(JSON.parse((await run('proj', 'get', 'team-a', '-o', 'json')).out)).toMatchObject({
      kind: 'AppProject',
      spec: { sourceRepos: ['https://git.example.com/team-a/*'], description: 'Team A' },
    });
    expect((await run('proj', 'create', 'x', '--dest', 'only-a-server')).code).toBe(2);
    expect(await run('proj', 'get', 'nope')).toEqual({
      code: 3,
      out: '',
      err: `mooring: project "nope" not found in namespace ${ns}: see 'mooring proj list'\n`,
    });
  });

  it('says so in one line when the cluster is unreachable, or a flag is wrong', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true } }]
users: [{ name: u, user: { token: x } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`,
    );
    expect(await mooring(['repo', 'list'], { kubeconfig })).toEqual({
      code: 4,
      out: '',
      err: 'mooring: cannot reach the cluster at https://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n',
    });
    expect((await run('repo', 'add', 'https://x/y.git', '--pasword', 'x')).code).toBe(2);
    expect((await run('proj', 'list', '--help')).out).toContain('Examples:\n  mooring proj list\n');
  });
});
