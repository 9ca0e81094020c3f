import { chmod, readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../core/index.js';
import { renderSource, type RenderOptions } from './index.js';
import { formatMiB, networkIsolation, toolLimits } from './sandbox.js';
import { HELM_REPO, configMap, copyFixture, tempDir, writeFiles } from './test-util.js';

const MiB = 1024 * 1024;

let root: string;
let repo: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
  repo = path.join(root, 'repo');
  await writeFiles(repo, {
    'app/kustomization.yaml': 'resources:\n  - cm.yaml\n',
    'app/cm.yaml': configMap('settings'),
  });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await cleanup();
});

/** A YAML alias bomb: 9^levels strings once kustomize de-anchors it (9^9 ≈ 387 million). */
function aliasBomb(levels = 9): string {
  const names = 'abcdefghijklmnop';
  const lines = [`  a: &a [${Array(9).fill('"x"').join(',')}]`];
  for (let i = 1; i < levels; i++) {
    lines.push(
      `  ${names[i]}: &${names[i]} [${Array(9)
        .fill(`*${names[i - 1]}`)
        .join(',')}]`,
    );
  }
  return lines.join('\n');
}

async function script(name: string, body: string): Promise<string> {
  const p = path.join(root, name);
  await writeFile(p, `#!/bin/sh\n${body}\n`);
  await chmod(p, 0o755);
  return p;
}

const render = (p: string, opts: RenderOptions = {}) =>
  renderSource({ repoRoot: repo, appName: 'a', source: { repoURL: 'u', path: p } }, opts);

async function failure(p: Promise<unknown>): Promise<string> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  return (err as UserError).message;
}

describe('tool limits', () => {
  it('has defaults of 512 MiB and 60 s of CPU, each overridable', () => {
    expect(toolLimits()).toEqual({ memoryBytes: 512 * MiB, cpuSeconds: 60, isolateNetwork: true });
    expect(toolLimits({ cpuSeconds: 5, memoryBytes: undefined })).toEqual({
      memoryBytes: 512 * MiB,
      cpuSeconds: 5,
      isolateNetwork: true,
    });
    expect([formatMiB(512 * MiB), formatMiB(2048 * MiB), formatMiB(1.5 * MiB)]).toEqual([
      '512 MiB',
      '2 GiB',
      '1.5 MiB',
    ]);
  });

  it('stops kustomize at the memory cap when a resource or a patch is an alias bomb', async () => {
    await writeFiles(repo, {
      'bomb/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'bomb/cm.yaml': `${configMap('bomb')}data:\n${aliasBomb()}\n`,
    });
    expect(await failure(render('bomb', { toolLimits: { memoryBytes: 128 * MiB } }))).toBe(
      'kustomize used more than 128 MiB of memory',
    );
    await writeFiles(repo, {
      'patched/kustomization.yaml': 'resources:\n  - ../app\npatches:\n  - path: patch.yaml\n',
      'patched/patch.yaml': `${configMap('settings')}data:\n${aliasBomb()}\n`,
    });
    expect(await failure(render('patched', { toolLimits: { memoryBytes: 128 * MiB } }))).toBe(
      'kustomize used more than 128 MiB of memory',
    );
  });

  it('stops helm at the memory cap when a template builds a huge string', async () => {
    await copyFixture(HELM_REPO, repo);
    await writeFiles(repo, {
      'charts/demo/templates/bomb.yaml':
        '{{- $s := "xxxxxxxxxxxxxxxx" }}{{- range until 30 }}{{- $s = print $s $s }}{{- end }}\n# {{ len $s }}\n',
    });
    const err = renderSource(
      { repoRoot: repo, appName: 'a', source: { repoURL: 'u', path: 'charts/demo' } },
      { toolLimits: { memoryBytes: 192 * MiB } },
    );
    expect(await failure(err)).toBe('helm used more than 192 MiB of memory');
  });

  it('stops a tool at the CPU cap, beside the wall-clock timeout', async () => {
    const spin = await script('spin-kustomize', 'while :; do :; done');
    expect(
      await failure(
        render('app', { tools: { kustomize: spin }, toolLimits: { cpuSeconds: 1 }, timeoutMs: 30_000 }),
      ),
    ).toBe('kustomize used more than 1 s of CPU');
    // One CPU-second can take many wall-clock seconds on a loaded machine: the render's own 30 s bound.
  }, 40_000);

  it('names the signal that stopped a tool, never "exit code null"', async () => {
    const killed = await script('killed-kustomize', 'kill -TERM $$');
    expect(await failure(render('app', { tools: { kustomize: killed } }))).toBe(
      'kustomize was stopped by signal SIGTERM',
    );
  });

  it('renders real overlays and charts within the default caps', async () => {
    const r = await render('app');
    expect(r.objects).toHaveLength(1);
  });
});

describe('tool environment', () => {
  it('gives tools none of the controller environment, a home in the workspace and no way out for git', async () => {
    const out = path.join(root, 'seen');
    const spy = await script(
      'spy-kustomize',
      `{ env; echo "ulimit-d=$(ulimit -d)"; echo "ulimit-t=$(ulimit -t)"; echo "netns=$(readlink /proc/self/ns/net)"; } > '${out}'\necho 'apiVersion: v1'\necho 'kind: ConfigMap'\necho 'metadata: {name: x}'`,
    );
    vi.stubEnv('SSH_AUTH_SOCK', '/run/agent.sock');
    vi.stubEnv('HTTPS_PROXY', 'http://proxy.internal:3128');
    vi.stubEnv('KUBECONFIG', '/etc/secret/kubeconfig');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'hunter2');
    await render('app', { tools: { kustomize: spy }, toolLimits: { memoryBytes: 300 * MiB, cpuSeconds: 7 } });
    const seen = Object.fromEntries(
      (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    for (const leaked of ['SSH_AUTH_SOCK', 'HTTPS_PROXY', 'KUBECONFIG', 'AWS_SECRET_ACCESS_KEY']) {
      expect(seen[leaked]).toBeUndefined();
    }
    expect(seen['HOME']).toMatch(/\/mooring-render-[^/]+\/home$/);
    expect(seen['HELM_REPOSITORY_CONFIG']).toMatch(
      /\/mooring-render-[^/]+\/helm\/config\/repositories\.yaml$/,
    );
    expect(seen['GIT_ALLOW_PROTOCOL']).toBe('');
    expect(seen['GIT_TERMINAL_PROMPT']).toBe('0');
    expect(seen['GIT_SSH_COMMAND']).toBe('false');
    expect(seen['GOMEMLIMIT']).toBe('240MiB');
    expect(seen['ARGOCD_APP_NAME']).toBe('a');
    expect(seen['ulimit-d']).toBe(String(300 * 1024));
    expect(seen['ulimit-t']).toBe('8');
    const net = await networkIsolation();
    const ours = await readlink('/proc/self/ns/net');
    // Where the system allows a network namespace, the tool is in one of its own.
    if (net.mode !== 'none') expect(seen['netns']).not.toBe(ours);
    else expect(seen['netns']).toBe(ours);
  });
});
