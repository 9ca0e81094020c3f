import { describe, expect, it } from 'vitest';
import { applyMergePatch } from './merge-patch.js';

describe('applyMergePatch', () => {
  it('merges objects, removes nulls, replaces lists and scalars, and leaves the target alone', () => {
    const target = { spec: { syncPolicy: { automated: { prune: true }, syncOptions: ['A'] }, project: 'x' } };
    const patched = applyMergePatch(target, {
      spec: { syncPolicy: { automated: null, syncOptions: ['B'] }, project: 'y', source: { path: '.' } },
    });
    expect(patched).toEqual({
      spec: { syncPolicy: { syncOptions: ['B'] }, project: 'y', source: { path: '.' } },
    });
    expect(target.spec.syncPolicy.automated).toEqual({ prune: true });
  });

  it('follows RFC 7386 for non-object patches and targets', () => {
    expect(applyMergePatch({ a: 1 }, ['x'])).toEqual(['x']);
    expect(applyMergePatch('s', { a: { b: null, c: 2 } })).toEqual({ a: { c: 2 } });
  });
});
