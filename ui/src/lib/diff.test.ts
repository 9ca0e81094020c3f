import { describe, expect, it } from 'vitest';
import { manifestYaml, parseUnifiedDiff, unifiedDiff } from './diff.js';

describe('manifestYaml', () => {
  it('turns Argo CD state JSON into YAML, and null into nothing', () => {
    expect(manifestYaml('{"kind":"Deployment","spec":{"replicas":5}}')).toBe(
      'kind: Deployment\nspec:\n  replicas: 5\n',
    );
    expect(manifestYaml('null')).toBe('');
    expect(manifestYaml(undefined)).toBe('');
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('');
  });
  it('shows a changed line with its context', () => {
    const before = 'kind: Deployment\nspec:\n  replicas: 1\n  selector: {}\n';
    const after = 'kind: Deployment\nspec:\n  replicas: 5\n  selector: {}\n';
    expect(unifiedDiff(before, after)).toBe(
      [
        '--- live',
        '+++ desired',
        '@@ -1,4 +1,4 @@',
        ' kind: Deployment',
        ' spec:',
        '-  replicas: 1',
        '+  replicas: 5',
        '   selector: {}',
        '',
      ].join('\n'),
    );
  });
  it('splits distant changes into hunks and handles an object missing on one side', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const changed = [...lines];
    changed[1] = 'X';
    changed[18] = 'Y';
    const d = unifiedDiff(lines.join('\n'), changed.join('\n'));
    expect(d.split('\n').filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,5 +1,5 @@', '@@ -16,5 +16,5 @@']);
    expect(unifiedDiff('', 'a: 1\n')).toBe('--- live\n+++ desired\n@@ -0,0 +1,1 @@\n+a: 1\n');
  });
});

describe('parseUnifiedDiff', () => {
  it('classifies lines', () => {
    expect(parseUnifiedDiff('--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n z\n').map((l) => l.kind)).toEqual([
      'meta',
      'meta',
      'hunk',
      'del',
      'add',
      'ctx',
    ]);
  });
});
