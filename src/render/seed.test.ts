import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSource } from './index.js';
import { SEED_REPO, names, only } from './test-util.js';

const source = (p: string) => ({
  repoURL: 'https://github.com/myorg/myapp-config.git',
  targetRevision: 'main',
  path: p,
});

describe('the seed config repository', () => {
  it('renders the production overlay despite its kustomize 4 patches entry, with a warning', async () => {
    const before = await readFile(path.join(SEED_REPO, 'overlays/production/kustomization.yaml'), 'utf8');
    const r = await renderSource({
      repoRoot: SEED_REPO,
      appName: 'myapp-production',
      namespace: 'production',
      source: source('overlays/production'),
    });
    expect(r.sourceType).toBe('Kustomize');
    expect(names(r.objects)).toEqual([
      'ConfigMap production/myapp-config',
      'Service production/myapp',
      'Deployment production/myapp',
    ]);
    const dep = only(r.objects, 'Deployment');
    expect(dep.spec.replicas).toBe(5);
    expect(dep.spec.template.spec.containers[0].image).toBe('registry.example.com/myapp:v1.4.2');
    expect(r.warnings).toEqual([
      'overlays/production/kustomization.yaml: patches entry "replica-patch.yaml" is a bare string; kustomize 5 needs "- path: replica-patch.yaml". Mooring rendered it as a patch file path.',
    ]);
    // The checkout is never modified.
    expect(await readFile(path.join(SEED_REPO, 'overlays/production/kustomization.yaml'), 'utf8')).toBe(
      before,
    );
  });

  it.each([
    ['staging', 2, 'v1.4.3'],
    ['development', 1, 'v1.4.4'],
  ])('renders the %s overlay', async (env, replicas, tag) => {
    const r = await renderSource({
      repoRoot: SEED_REPO,
      appName: `myapp-${env}`,
      source: source(`overlays/${env}`),
    });
    expect(r.warnings).toEqual([]);
    expect(names(r.objects)).toEqual([
      `ConfigMap ${env}/myapp-config`,
      `Service ${env}/myapp`,
      `Deployment ${env}/myapp`,
    ]);
    const dep = only(r.objects, 'Deployment');
    expect(dep.spec.replicas).toBe(replicas);
    expect(dep.spec.template.spec.containers[0].image).toBe(`registry.example.com/myapp:${tag}`);
  });

  it('renders base as a kustomization without adding any namespace', async () => {
    const r = await renderSource({
      repoRoot: SEED_REPO,
      appName: 'base',
      namespace: 'default',
      source: source('base'),
    });
    expect(names(r.objects)).toEqual(['ConfigMap myapp-config', 'Service myapp', 'Deployment myapp']);
    expect(only(r.objects, 'Deployment').spec.template.spec.containers[0].image).toBe(
      'registry.example.com/myapp:latest',
    );
  });

  it('stops when aborted', async () => {
    const req = { repoRoot: SEED_REPO, appName: 'a', source: source('overlays/production') };
    await expect(renderSource(req, { signal: AbortSignal.abort(new Error('stop')) })).rejects.toThrow('stop');
    const ac = new AbortController();
    const running = renderSource(req, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stopped midway')), 5);
    await expect(running).rejects.toThrow('stopped midway');
  });
});
