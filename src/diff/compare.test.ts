import { describe, expect, it } from 'vitest';
import { applyChanges, exactChanges, subsetChanges, tidyChanges } from './compare.js';

describe('exactChanges', () => {
  it('reports leaves, one-sided fields and extra list elements', () => {
    const desired = { a: 1, b: { c: 'x', d: [1, 2, 3] }, only: 'd' };
    const live = { a: 2, b: { c: 'x', d: [1, 5] }, extra: true };
    expect(exactChanges(desired, live)).toEqual([
      { path: ['a'], live: 2, desired: 1 },
      { path: ['b', 'd', 1], live: 5, desired: 2 },
      { path: ['b', 'd', 2], desired: 3 },
      { path: ['only'], desired: 'd' },
      { path: ['extra'], live: true },
    ]);
  });
  it('is strict: no quantity or number leniency after a dry-run', () => {
    expect(exactChanges({ cpu: '100m' }, { cpu: '0.1' })).toEqual([
      { path: ['cpu'], live: '0.1', desired: '100m' },
    ]);
    expect(exactChanges({ p: 80 }, { p: '80' })).toHaveLength(1);
  });
  it('reports a type change as a whole', () => {
    expect(exactChanges({ a: [1] }, { a: { x: 1 } })).toEqual([
      { path: ['a'], live: { x: 1 }, desired: [1] },
    ]);
  });
});

describe('subsetChanges', () => {
  const requests = (cpu: unknown) => ({ spec: { resources: { requests: { cpu } } } });
  it('ignores fields only live has', () => {
    expect(subsetChanges({ a: 1 }, { a: 1, defaulted: 'x' })).toEqual([]);
  });
  it('accepts empty values the apiserver drops', () => {
    expect(subsetChanges({ labels: {}, args: [], x: null }, {})).toEqual([]);
  });
  it('compares quantities in Quantity fields', () => {
    expect(subsetChanges(requests(0.1), requests('100m'))).toEqual([]);
    expect(subsetChanges(requests('250m'), requests('100m'))).toEqual([
      { path: ['spec', 'resources', 'requests', 'cpu'], live: '100m', desired: '250m' },
    ]);
  });
  it('requires lists of the same length, comparing elements as subsets', () => {
    const live = { c: [{ name: 'a', image: 'i', pull: 'Always' }, { name: 'sidecar' }] };
    expect(subsetChanges({ c: [{ name: 'a', image: 'i' }] }, live)).toEqual([
      { path: ['c', 1], live: { name: 'sidecar' } },
    ]);
    expect(subsetChanges({ c: [{ name: 'a', image: 'j' }, { name: 'sidecar' }] }, live)).toEqual([
      { path: ['c', 0, 'image'], live: 'i', desired: 'j' },
    ]);
  });
  it('reports a missing field with its desired value', () => {
    expect(subsetChanges({ a: { b: 1 } }, {})).toEqual([{ path: ['a'], desired: { b: 1 } }]);
  });
});

describe('tidyChanges', () => {
  it('sorts by path and drops changes inside another', () => {
    expect(
      tidyChanges([{ path: ['b'] }, { path: ['a', 1, 'x'], live: 1 }, { path: ['a', 1], live: {} }]),
    ).toEqual([{ path: ['a', 1], live: {} }, { path: ['b'] }]);
  });
});

describe('applyChanges', () => {
  it('sets, appends and removes against live indices', () => {
    const live = { a: 1, l: ['x', 'y', 'z'], m: { k: 1 } };
    const out = applyChanges(live, [
      { path: ['a'], live: 1, desired: 2 },
      { path: ['l', 0], live: 'x' },
      { path: ['l', 2], live: 'z' },
      { path: ['m', 'k'], live: 1 },
      { path: ['n', 'deep'], desired: true },
    ]);
    expect(out).toEqual({ a: 2, l: ['y'], n: { deep: true } });
    expect(live).toEqual({ a: 1, l: ['x', 'y', 'z'], m: { k: 1 } });
  });
});
