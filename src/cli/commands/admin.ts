import type { Command } from '../command.js';
import { connect } from '../kube.js';
import { printData, table } from '../output.js';
import { list, OUTPUT_OPTION, outputOf, str } from '../app/common.js';
import { addCluster, listClusters, MANAGER_SA, removeCluster } from '../app/cluster.js';
import {
  createProject,
  getProject,
  listProjects,
  parseDest,
  projectDetails,
  projectTable,
} from '../app/proj.js';
import { addRepo, listRepos, removeRepo } from '../app/repo.js';

const UPSERT = { type: 'boolean' as const, help: 'update it when it exists' };

const repoAdd: Command = {
  name: 'repo add',
  summary: 'Register a Git repository and its credentials (an Argo CD repository Secret)',
  usage: 'REPOURL',
  args: [1, 1],
  options: {
    username: { type: 'string', help: 'HTTPS username', valueName: 'USER' },
    password: { type: 'string', help: 'HTTPS password or token', valueName: 'PASSWORD' },
    'ssh-private-key-path': { type: 'string', help: 'SSH private key file', valueName: 'FILE' },
    name: { type: 'string', help: 'a display name', valueName: 'NAME' },
    type: { type: 'string', help: 'git (default) or helm', valueName: 'TYPE' },
    project: { type: 'string', help: 'scope the credentials to this project', valueName: 'NAME' },
    'insecure-skip-server-verification': { type: 'boolean', help: 'skip TLS / host key verification' },
    upsert: UPSERT,
  },
  examples: [
    'mooring repo add https://git.example.com/myorg/myapp-config.git --username ci --password "$TOKEN"',
    'mooring repo add git@git.example.com:myorg/myapp-config.git --ssh-private-key-path ~/.ssh/id_ed25519',
  ],
  run: async (ctx) => {
    const kube = connect(ctx.values);
    const url = ctx.positionals[0]!;
    const what = await addRepo(
      kube,
      {
        url,
        name: str(ctx, 'name'),
        type: str(ctx, 'type'),
        username: str(ctx, 'username'),
        password: str(ctx, 'password'),
        sshPrivateKeyPath: str(ctx, 'ssh-private-key-path'),
        project: str(ctx, 'project'),
        insecure: Boolean(ctx.values['insecure-skip-server-verification']),
      },
      Boolean(ctx.values.upsert),
    );
    ctx.out.write(`repository "${url}" ${what}\n`);
    return 0;
  },
};

const repoList: Command = {
  name: 'repo list',
  summary: 'List the registered repositories (never their credentials)',
  args: [0, 0],
  options: { ...OUTPUT_OPTION },
  examples: ['mooring repo list', 'mooring repo list -o json'],
  run: async (ctx) => {
    const format = outputOf(ctx);
    const repos = await listRepos(connect(ctx.values));
    if (format === 'json' || format === 'yaml') printData(repos, format, ctx.out);
    else
      ctx.out.write(
        table(
          ['TYPE', 'REPO', 'USER'],
          repos.map((r) => [r.type, r.repo, r.username]),
        ),
      );
    return 0;
  },
};

const repoRm: Command = {
  name: 'repo rm',
  summary: 'Remove a repository (its Secret)',
  usage: 'REPOURL',
  args: [1, 1],
  examples: ['mooring repo rm https://git.example.com/myorg/myapp-config.git'],
  run: async (ctx) => {
    const url = ctx.positionals[0]!;
    await removeRepo(connect(ctx.values), url);
    ctx.out.write(`repository "${url}" removed\n`);
    return 0;
  },
};

const clusterAdd: Command = {
  name: 'cluster add',
  summary: `Register the cluster of a kubeconfig context (creates ServiceAccount ${MANAGER_SA} there, bound to cluster-admin)`,
  usage: 'CONTEXT',
  args: [1, 1],
  options: {
    name: {
      type: 'string',
      help: 'the cluster name apps use in destination.name (default: CONTEXT)',
      valueName: 'NAME',
    },
    upsert: UPSERT,
  },
  examples: ['mooring cluster add staging-admin@staging --name staging'],
  run: async (ctx) => {
    const kube = connect(ctx.values);
    const r = await addCluster(kube, ctx, ctx.positionals[0]!, {
      name: str(ctx, 'name'),
      upsert: Boolean(ctx.values.upsert),
    });
    ctx.out.write(`cluster "${r.server}" ${r.action} as "${r.name}"\n`);
    return 0;
  },
};

const clusterList: Command = {
  name: 'cluster list',
  summary: 'List the destination clusters (never their credentials)',
  args: [0, 0],
  options: { ...OUTPUT_OPTION },
  examples: ['mooring cluster list', 'mooring cluster list -o json'],
  run: async (ctx) => {
    const format = outputOf(ctx);
    const clusters = await listClusters(connect(ctx.values));
    if (format === 'json' || format === 'yaml') printData(clusters, format, ctx.out);
    else
      ctx.out.write(
        table(
          ['SERVER', 'NAME'],
          clusters.map((c) => [c.server, c.name]),
        ),
      );
    return 0;
  },
};

const clusterRm: Command = {
  name: 'cluster rm',
  summary: 'Remove a destination cluster (its Secret)',
  usage: 'SERVER|NAME',
  args: [1, 1],
  examples: ['mooring cluster rm staging', 'mooring cluster rm https://staging.example.com:6443'],
  run: async (ctx) => {
    const which = ctx.positionals[0]!;
    await removeCluster(connect(ctx.values), which);
    ctx.out.write(`cluster "${which}" removed\n`);
    return 0;
  },
};

const projCreate: Command = {
  name: 'proj create',
  summary: 'Create an AppProject',
  usage: 'PROJECT',
  args: [1, 1],
  options: {
    src: {
      type: 'string',
      multiple: true,
      help: 'an allowed source repository URL or glob (repeatable)',
      valueName: 'URL',
    },
    dest: {
      type: 'string',
      multiple: true,
      help: 'an allowed destination SERVER,NAMESPACE (repeatable)',
      valueName: 'DEST',
    },
    description: { type: 'string', short: 'd', help: 'a description', valueName: 'TEXT' },
    upsert: UPSERT,
  },
  examples: [
    "mooring proj create team-a --src 'https://git.example.com/team-a/*' --dest https://kubernetes.default.svc,'team-a-*'",
  ],
  run: async (ctx) => {
    const name = ctx.positionals[0]!;
    const destinations = list(ctx, 'dest').map(parseDest);
    const kube = connect(ctx.values);
    const spec = {
      ...(str(ctx, 'description') ? { description: str(ctx, 'description') } : {}),
      sourceRepos: list(ctx, 'src'),
      destinations,
    };
    const what = await createProject(kube, name, spec, Boolean(ctx.values.upsert));
    ctx.out.write(`project "${name}" ${what}\n`);
    return 0;
  },
};

const projList: Command = {
  name: 'proj list',
  summary: 'List the AppProjects',
  args: [0, 0],
  options: { ...OUTPUT_OPTION },
  examples: ['mooring proj list', 'mooring proj list -o yaml'],
  run: async (ctx) => {
    const format = outputOf(ctx);
    const projects = await listProjects(connect(ctx.values));
    if (format === 'json' || format === 'yaml') printData(projects, format, ctx.out);
    else ctx.out.write(projectTable(projects));
    return 0;
  },
};

const projGet: Command = {
  name: 'proj get',
  summary: 'Show an AppProject',
  usage: 'PROJECT',
  args: [1, 1],
  options: { ...OUTPUT_OPTION },
  examples: ['mooring proj get default', 'mooring proj get team-a -o json'],
  run: async (ctx) => {
    const format = outputOf(ctx);
    const p = await getProject(connect(ctx.values), ctx.positionals[0]!);
    if (format === 'json' || format === 'yaml') printData(p, format, ctx.out);
    else ctx.out.write(projectDetails(p));
    return 0;
  },
};

/** `mooring repo|cluster|proj …`. */
export const adminCommands: Command[] = [
  repoAdd,
  repoList,
  repoRm,
  clusterAdd,
  clusterList,
  clusterRm,
  projCreate,
  projList,
  projGet,
];
