// The OCI chart source against a real registry (the CNCF distribution registry from
// scripts/oci-registry) with charts pushed by the real `helm push`: tags, constraints, digests, media
// types, size caps, digests verified, basic authentication, and what a pass with nothing new costs.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOciRegistry, type OciRegistry } from '../../../test/harness/oci-registry.js';
import type { TestChart } from '../../../test/harness/helm-repo-server.js';
import { createOciCharts, HELM_CHART_LAYER_MEDIA_TYPE, HELM_CONFIG_MEDIA_TYPE } from './oci-charts.js';

const chart = (version: string): TestChart => ({
  name: 'greeter',
  version,
  files: { 'values.yaml': 'greeting: hello\n', 'templates/cm.yaml': 'kind: ConfigMap\n' },
});

describe('OCI charts from a real registry', () => {
  let registry: OciRegistry;
  let root: string;
  const digests: Record<string, string> = {};

  beforeAll(async () => {
    registry = await startOciRegistry();
    root = await mkdtemp(path.join(os.tmpdir(), 'mooring-oci-cache-'));
    for (const v of ['0.9.0', '1.0.0', '1.1.0-rc.1', '2.0.0'])
      digests[v] = await registry.push('charts', chart(v));
  });
  afterAll(async () => {
    await registry?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('resolves a semver constraint over the tags, an exact tag and a digest, and lays out the chart', async () => {
    const oci = createOciCharts({ root });
    const url = `oci://${registry.host}/charts`;
    // Argo CD's OCI guide: "targetRevision: Use this field to specify the desired image tag or digest."
    expect((await oci.resolve(url, 'greeter', '1.*')).revision).toBe('1.0.0');
    expect((await oci.resolve(url, 'greeter', '>=1.0.0-0')).revision).toBe('2.0.0');
    expect((await oci.resolve(url, 'greeter', '0.9.0')).revision).toBe('0.9.0');
    expect((await oci.resolve(url, 'greeter', digests['2.0.0']!)).revision).toBe(digests['2.0.0']);
    const byTag = await oci.checkout(url, 'greeter', '1.0.0');
    expect(await readFile(path.join(byTag.dir, 'Chart.yaml'), 'utf8')).toContain('version: 1.0.0');
    expect(byTag.manifestDigest).toBe(digests['1.0.0']);
    const byDigest = await oci.checkout(url, 'greeter', digests['2.0.0']!);
    expect(await readFile(path.join(byDigest.dir, 'Chart.yaml'), 'utf8')).toContain('version: 2.0.0');
    // Argo CD's form with the chart in the URL (path "."), and its enableOCI form without the scheme.
    expect((await oci.resolve(`oci://${registry.host}/charts/greeter`, undefined, '~0.9')).revision).toBe(
      '0.9.0',
    );
    expect((await oci.resolve(`${registry.host}/charts`, 'greeter', '^1.0.0')).revision).toBe('1.0.0');
  });

  it('a pass with nothing new asks one thing and downloads nothing; a cached digest is never fetched again', async () => {
    const oci = createOciCharts({ root });
    const url = `oci://${registry.host}/charts`;
    await oci.checkout(url, 'greeter', (await oci.resolve(url, 'greeter', '1.0.*')).revision);
    const before = oci.stats();
    const r = await oci.resolve(url, 'greeter', '1.0.*');
    await oci.checkout(url, 'greeter', r.revision);
    expect(oci.stats().requests - before.requests).toBe(1); // the tag list
    expect(oci.stats().chartDownloads).toBe(before.chartDownloads);
    await oci.resolve(url, 'greeter', '1.0.*', { fetch: false });
    expect(oci.stats().requests - before.requests).toBe(1);
  });

  it('turns a missing repository or tag, a constraint nothing matches and an unreachable registry into one clear error', async () => {
    const oci = createOciCharts({ root, timeoutMs: 5000 });
    const url = `oci://${registry.host}/charts`;
    await expect(oci.resolve(url, 'greeter', '9.9.9')).rejects.toThrow(
      `oci://${registry.host}/charts/greeter has no tag 9.9.9 (or no such repository): check spec.source.repoURL, chart and targetRevision`,
    );
    await expect(oci.resolve(url, 'greeter', '3.x')).rejects.toThrow(
      `no tag of oci://${registry.host}/charts/greeter matches "3.x" (newest tags: 2.0.0, 1.1.0-rc.1, 1.0.0, 0.9.0)`,
    );
    await expect(oci.resolve(url, 'nothere', '1.*')).rejects.toThrow(
      `${registry.host} (tags of oci://${registry.host}/charts/nothere) answered 404`,
    );
    await expect(oci.resolve('oci://127.0.0.1:1/charts', 'greeter', '1.*')).rejects.toThrow(
      'cannot reach http://127.0.0.1:1/v2/charts/greeter/tags/list (tags of oci://127.0.0.1:1/charts/greeter): ECONNREFUSED',
    );
  });

  it('refuses an artifact that is not a Helm chart, a layer over the size cap and a layer that is no gzip archive', async () => {
    const oci = createOciCharts({ root, limits: { maxChartBytes: 64 * 1024 } });
    const url = `oci://${registry.host}/bad`;
    const chartYaml = await readFile(
      path.join(
        (await createOciCharts({ root }).checkout(`oci://${registry.host}/charts`, 'greeter', '1.0.0')).dir,
        'Chart.yaml',
      ),
    );
    await registry.pushRaw('bad/image', '1.0.0', {
      configMediaType: 'application/vnd.oci.image.config.v1+json',
      layerMediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      layer: gzipSync(chartYaml),
    });
    await expect(oci.resolve(url, 'image', '1.0.0')).rejects.toThrow(
      `manifest oci://${registry.host}/bad/image:1.0.0 is not a Helm chart (config media type "application/vnd.oci.image.config.v1+json", ${HELM_CONFIG_MEDIA_TYPE} expected): refused`,
    );
    await registry.pushRaw('bad/big', '1.0.0', {
      configMediaType: HELM_CONFIG_MEDIA_TYPE,
      layerMediaType: HELM_CHART_LAYER_MEDIA_TYPE,
      layer: Buffer.alloc(100 * 1024, 1),
    });
    await expect(oci.resolve(url, 'big', '1.0.0')).rejects.toThrow(
      `manifest oci://${registry.host}/bad/big:1.0.0: the chart archive is larger than 0.1 MiB: refused`,
    );
    await registry.pushRaw('bad/notgz', '1.0.0', {
      configMediaType: HELM_CONFIG_MEDIA_TYPE,
      layerMediaType: HELM_CHART_LAYER_MEDIA_TYPE,
      layer: Buffer.from('not a gzip archive'),
    });
    const r = await oci.resolve(url, 'notgz', '1.0.0');
    await expect(oci.checkout(url, 'notgz', r.revision)).rejects.toThrow(
      `chart archive oci://${registry.host}/bad/notgz:1.0.0 is not a valid gzip archive`,
    );
  });
});

describe('OCI charts from a registry with basic authentication', () => {
  let registry: OciRegistry;
  let root: string;
  beforeAll(async () => {
    registry = await startOciRegistry({ username: 'ci', password: 'pw-Secret-1234' });
    root = await mkdtemp(path.join(os.tmpdir(), 'mooring-oci-cache-'));
    await registry.push('charts', chart('1.0.0'));
  });
  afterAll(async () => {
    await registry?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('reads with the right password, and says which Secret to fix without the wrong one', async () => {
    const url = `oci://${registry.host}/charts`;
    const good = createOciCharts({
      root,
      credentials: async () => ({ username: 'ci', password: 'pw-Secret-1234' }),
    });
    const r = await good.resolve(url, 'greeter', '1.*');
    expect((await good.checkout(url, 'greeter', r.revision)).dir).toBeTruthy();
    const wrong = createOciCharts({
      root,
      credentials: async () => ({ username: 'ci', password: 'wrong-Pass-9876' }),
    });
    const err = await wrong.resolve(url, 'greeter', '1.*').catch((e: Error) => e);
    expect(String(err)).toContain(
      `${registry.host} (tags of oci://${registry.host}/charts/greeter) answered 401: check the username and password of its repository Secret`,
    );
    expect(String(err)).not.toContain('wrong-Pass-9876');
    const none = createOciCharts({ root });
    await expect(none.resolve(url, 'greeter', '1.0.0')).rejects.toThrow(
      'answered 401: add a repository Secret',
    );
  });
});
