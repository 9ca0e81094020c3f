import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../core/index.js';
import { compileGlob } from './glob.js';
import { detectSourceType, renderSource } from './index.js';
import { locateTools, requireTool } from './tools.js';
import { SEED_REPO, tempDir, writeFiles } from './test-util.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => {
  vi.unstubAllEnvs();
  await cleanup();
});

async function fakeTool(p: string): Promise<string> {
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, '#!/bin/sh\nexit 0\n');
  await chmod(p, 0o755);
  return p;
}

describe('locateTools', () => {
  it('prefers the given path, then the environment, then the newest cached build, then PATH', async () => {
    const cache = path.join(dir, 'cache');
    const older = await fakeTool(path.join(cache, 'bin', 'helm-3.9.0', 'helm'));
    const newer = await fakeTool(path.join(cache, 'bin', 'helm-3.22.0', 'helm'));
    const onPath = await fakeTool(path.join(dir, 'path', 'kustomize'));
    vi.stubEnv('MOORING_CACHE', cache);
    vi.stubEnv('PATH', path.join(dir, 'path'));
    const jsonnet = await fakeTool(path.join(cache, 'bin', 'jsonnet-0.22.0', 'jsonnet'));
    vi.stubEnv('MOORING_HELM', '');
    vi.stubEnv('MOORING_KUSTOMIZE', '');
    vi.stubEnv('MOORING_JSONNET', '');
    expect(locateTools()).toEqual({ helm: newer, kustomize: onPath, jsonnet });
    vi.stubEnv('MOORING_HELM', older);
    expect(locateTools().helm).toBe(older);
    expect(locateTools({ helm: '/given/helm' }).helm).toBe('/given/helm');
  });

  it('explains how to provide a missing tool', () => {
    vi.stubEnv('MOORING_CACHE', dir);
    vi.stubEnv('PATH', '');
    vi.stubEnv('MOORING_KUSTOMIZE', '');
    vi.stubEnv('MOORING_JSONNET', '');
    expect(() => requireTool({}, 'jsonnet')).toThrow(
      new UserError(
        'jsonnet is not installed: set MOORING_JSONNET to its path, build it with "scripts/build-tools jsonnet", or put it on PATH',
      ),
    );
    expect(() => requireTool({}, 'kustomize')).toThrow(
      new UserError(
        'kustomize is not installed: set MOORING_KUSTOMIZE to its path, build it with "scripts/build-tools kustomize", or put it on PATH',
      ),
    );
  });

  it('reports a tool path that cannot be run', async () => {
    await expect(
      renderSource(
        { repoRoot: SEED_REPO, appName: 'a', source: { repoURL: 'u', path: 'base' } },
        { tools: { kustomize: path.join(dir, 'no-such-kustomize') } },
      ),
    ).rejects.toThrow(
      new UserError(
        `kustomize cannot be run from "${path.join(dir, 'no-such-kustomize')}" (ENOENT): check MOORING_KUSTOMIZE`,
      ),
    );
  });
});

describe('runTool', () => {
  it('kills a tool that runs too long', async () => {
    const slow = path.join(dir, 'slow-kustomize');
    await writeFile(slow, '#!/bin/sh\nsleep 10\n');
    await chmod(slow, 0o755);
    await expect(
      renderSource(
        { repoRoot: SEED_REPO, appName: 'a', source: { repoURL: 'u', path: 'base' } },
        { tools: { kustomize: slow }, timeoutMs: 300 },
      ),
    ).rejects.toThrow(new UserError('kustomize did not finish within 0.3s'));
  });
});

describe('detectSourceType', () => {
  it('follows Argo CD: explicit type, then kustomization, then Chart.yaml, else Directory', async () => {
    await writeFiles(dir, {
      'both/kustomization.yaml': 'resources: []\n',
      'both/Chart.yaml': 'name: x\n',
      'chart/Chart.yaml': 'name: x\n',
      'plain/x.yaml': '',
    });
    const src = { repoURL: 'u' };
    expect(await detectSourceType(path.join(dir, 'both'), src)).toBe('Kustomize');
    expect(await detectSourceType(path.join(dir, 'chart'), src)).toBe('Helm');
    expect(await detectSourceType(path.join(dir, 'plain'), src)).toBe('Directory');
    expect(await detectSourceType(path.join(dir, 'plain'), { ...src, helm: {} })).toBe('Helm');
    expect(await detectSourceType(path.join(dir, 'plain'), { ...src, chart: 'nginx' })).toBe('Helm');
    expect(await detectSourceType(path.join(dir, 'plain'), { ...src, kustomize: {} })).toBe('Kustomize');
    expect(await detectSourceType(path.join(dir, 'both'), { ...src, directory: { recurse: true } })).toBe(
      'Directory',
    );
  });
});

describe('compileGlob', () => {
  it('matches as Argo CD directory include/exclude does', () => {
    const m = (g: string, s: string) => compileGlob(g).test(s);
    expect(m('*.yaml', 'a.yaml')).toBe(true);
    expect(m('*.yaml', 'sub/a.yaml')).toBe(true);
    expect(m('*.yaml', 'a.yml')).toBe(false);
    expect(m('{a.yaml,b.yaml}', 'b.yaml')).toBe(true);
    expect(m('{a.yaml,b.yaml}', 'c.yaml')).toBe(false);
    expect(m('{sub/{x,y}.json,*.yml}', 'sub/y.json')).toBe(true);
    expect(m('sub/**', 'sub/deep/er.yaml')).toBe(true);
    expect(m('?.yaml', 'ab.yaml')).toBe(false);
    expect(m('[ab].yaml', 'b.yaml')).toBe(true);
    expect(m('[!ab].yaml', 'b.yaml')).toBe(false);
    expect(m('a\\*.yaml', 'a*.yaml')).toBe(true);
    expect(m('a\\*.yaml', 'ab.yaml')).toBe(false);
    expect(m('a.yaml', 'axyaml')).toBe(false);
    expect(() => compileGlob('{a,b', 'include')).toThrow(
      new UserError('directory.include pattern "{a,b" is invalid: "{" is not closed'),
    );
  });
});
