import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dependenciesToFetch } from './chart-dependencies.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mooring-chartdeps-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function files(entries: Record<string, string>) {
  for (const [rel, text] of Object.entries(entries)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
}

const CHART = `apiVersion: v2
name: app
version: 0.1.0
dependencies:
  - name: redis
    version: ">=17 <18"
    repository: https://charts.example.com/stable
  - name: common
    repository: https://charts.example.com/stable
  - name: vendored
    version: 1.0.0
    repository: https://charts.example.com/stable
  - name: packed
    version: 1.0.0
    repository: https://charts.example.com/stable
  - name: local
    repository: file://../local
  - name: registry
    repository: oci://registry.example.com/charts
`;

describe('dependenciesToFetch', () => {
  // What `helm dependency build` would download: a chart repository's dependencies not in charts/.
  it('lists the http(s) dependencies the chart does not vendor, any version when none is given', async () => {
    await files({
      'app/Chart.yaml': CHART,
      'app/charts/vendored/Chart.yaml': 'name: vendored\n',
      'app/charts/packed-1.0.0.tgz': '',
    });
    expect(await dependenciesToFetch(root, path.join(root, 'app'))).toEqual([
      { name: 'redis', version: '>=17 <18', repository: 'https://charts.example.com/stable' },
      { name: 'common', version: '*', repository: 'https://charts.example.com/stable' },
    ]);
  });

  it('has nothing to fetch without a Chart.yaml, beside a kustomization, or outside the repository', async () => {
    expect(await dependenciesToFetch(root, path.join(root, 'none'))).toEqual([]);
    await files({ 'k/Chart.yaml': CHART, 'k/kustomization.yaml': 'resources: []\n' });
    expect(await dependenciesToFetch(root, path.join(root, 'k'))).toEqual([]);
    const outside = await mkdtemp(path.join(os.tmpdir(), 'mooring-chartdeps-out-'));
    try {
      await writeFile(path.join(outside, 'Chart.yaml'), CHART);
      await symlink(outside, path.join(root, 'link'));
      expect(await dependenciesToFetch(root, path.join(root, 'link'))).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
