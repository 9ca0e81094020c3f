import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { formatChanges, formatDiff, toYaml } from './format.js';

const cm = (data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c' },
  data,
});

describe('formatChanges', () => {
  it('writes one line per change, live → desired', () => {
    expect(
      formatChanges([
        { path: 'spec.replicas', live: 1, desired: 5 },
        { path: 'metadata.labels.team', live: 'x' },
        { path: 'metadata.annotations["a.b/c"]', desired: 'on' },
        { path: 'spec.paused', live: false, desired: true },
        { path: 'spec.list[1]', live: { name: 'DEBUG', value: '1' } },
        { path: 'data.big', live: 'x'.repeat(100), desired: null },
      ]),
    ).toEqual([
      'spec.replicas: 1 → 5',
      'metadata.labels.team: "x" → absent',
      'metadata.annotations["a.b/c"]: absent → "on"',
      'spec.paused: false → true',
      'spec.list[1]: {"name":"DEBUG","value":"1"} → absent',
      `data.big: "${'x'.repeat(78)}… → null`,
    ]);
  });
});

describe('formatDiff', () => {
  it('is empty when both sides are the same', () => {
    expect(formatDiff({ modified: false, changes: [], desired: cm({ a: '1' }), live: cm({ a: '1' }) })).toBe(
      '',
    );
  });
  it('keeps three lines of context and separates distant hunks', () => {
    const keys = 'abcdefghijklmnop'.split('');
    const before = Object.fromEntries(keys.map((k) => [k, k]));
    const after = { ...before, b: 'B', o: 'O' };
    expect(formatDiff({ modified: true, changes: [], live: cm(before), desired: cm(after) })).toBe(
      [
        '--- live',
        '+++ desired',
        '@@ -1,7 +1,7 @@',
        ' apiVersion: v1',
        ' data:',
        '   a: a',
        '-  b: b',
        '+  b: B',
        '   c: c',
        '   d: d',
        '   e: e',
        '@@ -14,7 +14,7 @@',
        '   l: l',
        '   m: m',
        '   n: n',
        '-  o: o',
        '+  o: O',
        '   p: p',
        ' kind: ConfigMap',
        ' metadata:',
        '',
      ].join('\n'),
    );
  });
  it('prints multi-line strings as blocks and does not fold long lines', () => {
    const long = 'word '.repeat(40).trim();
    expect(toYaml(cm({ script: 'line1\nline2\n', long }))).toBe(
      `apiVersion: v1\ndata:\n  long: ${long}\n  script: |\n    line1\n    line2\nkind: ConfigMap\nmetadata:\n  name: c\n`,
    );
  });
});
