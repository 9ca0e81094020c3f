import { describe, expect, it } from 'vitest';
import { comparePaths, deleteAll, deleteAt, formatPath, getAt, hasAt, setAt, pathToPointer } from './path.js';

describe('formatPath', () => {
  it('writes plain keys with dots, indices in brackets and other keys quoted', () => {
    expect(formatPath(['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe(
      'spec.template.spec.containers[0].image',
    );
    expect(formatPath(['metadata', 'annotations', 'a.b/c'])).toBe('metadata.annotations["a.b/c"]');
    expect(formatPath(['metadata', 'labels', 'my-team'])).toBe('metadata.labels.my-team');
    expect(formatPath(['data', '1.txt'])).toBe('data["1.txt"]');
    expect(formatPath([])).toBe('');
  });
});

describe('getAt / hasAt', () => {
  const doc = { a: { b: [10, { c: null }] } };
  it('follows keys and indices', () => {
    expect(getAt(doc, ['a', 'b', 0])).toBe(10);
    expect(getAt(doc, ['a', 'b', 2])).toBeUndefined();
    expect(getAt(doc, ['a', 'x', 'y'])).toBeUndefined();
    expect(getAt(doc, ['a', 0])).toBeUndefined();
  });
  it('counts a present null as present', () => {
    expect(hasAt(doc, ['a', 'b', 1, 'c'])).toBe(true);
    expect(hasAt(doc, ['a', 'b', 1, 'd'])).toBe(false);
  });
});

describe('deleteAt', () => {
  it('prunes maps it empties, but not list elements', () => {
    const doc = { metadata: { annotations: { only: 'x' }, name: 'n' }, list: [{ k: 1 }, { k: 2 }] };
    expect(deleteAt(doc, ['metadata', 'annotations', 'only'])).toBe(true);
    expect(deleteAt(doc, ['list', 0, 'k'])).toBe(true);
    expect(doc).toEqual({ metadata: { name: 'n' }, list: [{}, { k: 2 }] });
  });
  it('reports a missing path', () => {
    expect(deleteAt({ a: 1 }, ['b'])).toBe(false);
    expect(deleteAt({ a: 1 }, [])).toBe(false);
  });
});

describe('deleteAll', () => {
  it('removes several elements of one list without index shifts', () => {
    const doc = { l: ['a', 'b', 'c', 'd'] };
    deleteAll(doc, [
      ['l', 0],
      ['l', 2],
    ]);
    expect(doc).toEqual({ l: ['b', 'd'] });
  });
  it('removes fields under a removed element first', () => {
    const doc = { l: [{ x: 1, y: 2 }, { x: 3 }] };
    deleteAll(doc, [
      ['l', 0],
      ['l', 1, 'x'],
      ['l', 0, 'y'],
    ]);
    expect(doc).toEqual({ l: [{}] });
  });
});

describe('setAt', () => {
  it('creates missing maps and appends at the end of a list', () => {
    const doc: Record<string, unknown> = { l: [1] };
    expect(setAt(doc, ['a', 'b'], 1)).toBe(true);
    expect(setAt(doc, ['l', 1], 2)).toBe(true);
    expect(setAt(doc, ['l', 5], 3)).toBe(false);
    expect(doc).toEqual({ a: { b: 1 }, l: [1, 2] });
  });
});

describe('comparePaths', () => {
  it('orders numbers numerically and prefixes first', () => {
    const paths = [['a', 10], ['a', 2], ['a'], ['a', 2, 'b']];
    expect(paths.sort(comparePaths)).toEqual([['a'], ['a', 2], ['a', 2, 'b'], ['a', 10]]);
  });
});

describe('pathToPointer', () => {
  it('reads formatPath output back as a JSON pointer', () => {
    expect(pathToPointer('metadata.labels.team')).toBe('/metadata/labels/team');
    expect(pathToPointer('metadata.annotations["a.b/c"]')).toBe('/metadata/annotations/a.b~1c');
    expect(pathToPointer('spec.template.spec.containers[0].env[1]')).toBe(
      '/spec/template/spec/containers/0/env/1',
    );
    expect(pathToPointer(formatPath(['metadata', 'labels', 'x~y']))).toBe('/metadata/labels/x~0y');
  });
});
