import { describe, expect, it } from 'vitest';
import { indexWorkerHeapMiB, parseIndex, parseIndexDetailed } from './index-file.js';

const D = (c: string) => c.repeat(64);

// The layout `helm repo index` writes: chart keys and their version lists at the same indentation.
const HELM_LAYOUT = `apiVersion: v1
entries:
  # a comment between charts
  alpha:
  - apiVersion: v2
    description: |
      A chart.
      entries: not a key
    digest: ${D('a')}
    name: alpha
    urls:
    - alpha-1.10.tgz
    version: "1.10"

  - name: alpha
    version: 1.9.0
    urls: [https://cdn.example.com/alpha-1.9.0.tgz]
    digest: sha256:${D('B')}
  beta:
  - name: beta
    version: 0.1.0
    urls:
    - charts/beta-0.1.0.tgz
generated: "2024-01-01T00:00:00Z"
`;

describe('parseIndex', () => {
  it('keeps each version with its digest (lowercase, sha256: prefix dropped) and URLs, scalars as text', async () => {
    const { index, how } = await parseIndexDetailed(HELM_LAYOUT, 'index.yaml');
    expect(how).toBe('per chart');
    expect([...index.keys()]).toEqual(['alpha', 'beta']);
    expect(index.get('alpha')).toEqual([
      { version: '1.10', digest: D('a'), urls: ['alpha-1.10.tgz'] },
      { version: '1.9.0', digest: D('b'), urls: ['https://cdn.example.com/alpha-1.9.0.tgz'] },
    ]);
    expect(index.get('beta')).toEqual([
      { version: '0.1.0', digest: undefined, urls: ['charts/beta-0.1.0.tgz'] },
    ]);
  });

  it('reads the same from other layouts: indented lists, flow style, JSON, an anchor shared by charts', async () => {
    const expected = await parseIndex(HELM_LAYOUT, 'index.yaml');
    const indented = HELM_LAYOUT.replace(/^( {2})(-| {2})/gm, '$1  $2');
    expect(await parseIndexDetailed(indented, 'index.yaml')).toEqual({ index: expected, how: 'per chart' });
    const json = JSON.stringify({ apiVersion: 'v1', entries: Object.fromEntries(expected) });
    expect(await parseIndexDetailed(json, 'index.json')).toEqual({ index: expected, how: 'json' });
    const flow = `{apiVersion: v1, entries: {beta: [{name: beta, version: 0.1.0, urls: [charts/beta-0.1.0.tgz]}]}}`;
    const flowed = await parseIndexDetailed(flow, 'index.yaml');
    expect([flowed.how, flowed.index.get('beta')]).toEqual(['whole', expected.get('beta')]);
    // An alias to another chart's anchor cannot be read chart by chart: the whole document is parsed.
    const shared = `entries:\n  a:\n  - &v {version: 1.0.0, urls: [a.tgz]}\n  b:\n  - *v\n`;
    const aliased = await parseIndexDetailed(shared, 'index.yaml');
    expect(aliased.how).toBe('whole');
    expect(aliased.index.get('b')).toEqual([{ version: '1.0.0', digest: undefined, urls: ['a.tgz'] }]);
  });

  it('parses a large index in the helm layout chart by chart, where a whole parse would run out of heap', async () => {
    const version = (c: number, v: number) =>
      `  - apiVersion: v2\n    name: chart${c}\n    version: 1.${v}.0\n    description: ${'words '.repeat(20)}\n    digest: ${D('c')}\n    urls:\n    - chart${c}-1.${v}.0.tgz\n`;
    const parts = ['apiVersion: v1\nentries:\n'];
    let size = 0;
    for (let c = 0; size < 6 * 1024 * 1024; c++) {
      const chart = `  chart${c}:\n${Array.from({ length: 40 }, (_, v) => version(c, v)).join('')}`;
      parts.push(chart);
      size += chart.length;
    }
    const text = parts.join('');
    const { index, how } = await parseIndexDetailed(text, 'index.yaml', 128);
    expect(how).toBe('per chart');
    expect(index.get('chart7')?.[39]).toEqual({
      version: '1.39.0',
      digest: D('c'),
      urls: ['chart7-1.39.0.tgz'],
    });
    // With an alias across charts it must be parsed whole, which does not fit: a clear refusal, not an OOM.
    const aliased = `${text.replace('  - apiVersion: v2\n', '  - &first\n    apiVersion: v2\n')}  extra:\n  - *first\n`;
    await expect(parseIndexDetailed(aliased, 'big.yaml', 128)).rejects.toThrow(
      'big.yaml: parsing it needed more than 128 MiB of memory; refused',
    );
  }, 60_000);

  it('refuses what is not an index, naming the file', async () => {
    await expect(parseIndex('- a\n- b\n', 'index.yaml')).rejects.toThrow(
      'index.yaml is not a valid Helm repository index: it is not a map',
    );
    await expect(parseIndex('entries: [a]\n', 'index.yaml')).rejects.toThrow(
      'index.yaml is not a valid Helm repository index: "entries" is not a map',
    );
    expect((await parseIndex('apiVersion: v1\n', 'index.yaml')).size).toBe(0);
  });

  it('sizes the worker heap to the text, within 256 MiB and 1 GiB', () => {
    expect(indexWorkerHeapMiB(1000)).toBe(256);
    expect(indexWorkerHeapMiB(8 * 1024 * 1024)).toBe(512);
    expect(indexWorkerHeapMiB(64 * 1024 * 1024)).toBe(1024);
  });
});
