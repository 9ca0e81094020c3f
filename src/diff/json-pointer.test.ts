import { describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { parseJsonPointer, resolveJsonPointer } from './json-pointer.js';

const doc = {
  metadata: { annotations: { 'a/b': '1', 'c~d': '2' } },
  spec: { containers: [{ name: 'app' }, { name: 'side' }] },
};

describe('parseJsonPointer', () => {
  it('unescapes ~1 and ~0 (RFC 6901)', () => {
    expect(parseJsonPointer('/metadata/annotations/a~1b').tokens).toEqual(['metadata', 'annotations', 'a/b']);
    expect(parseJsonPointer('/metadata/annotations/c~0d').tokens).toEqual(['metadata', 'annotations', 'c~d']);
    expect(parseJsonPointer('/a~01').tokens).toEqual(['a~1']);
  });
  it.each([
    ['spec/replicas', 'invalid jsonPointer "spec/replicas": it must start with "/"'],
    ['/a~2b', 'invalid jsonPointer "/a~2b": "~" must be followed by 0 or 1 (~0 is "~", ~1 is "/")'],
    ['/a~', 'invalid jsonPointer "/a~": "~" must be followed by 0 or 1 (~0 is "~", ~1 is "/")'],
    ['', 'invalid jsonPointer "": the empty pointer would ignore the whole object'],
  ])('rejects %j with a UserError', (src, message) => {
    let err: unknown;
    try {
      parseJsonPointer(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).conditionType).toBe('ComparisonError');
    expect((err as UserError).message).toBe(`ignoreDifferences: ${message}`);
  });
});

describe('resolveJsonPointer', () => {
  it('resolves keys and array indices', () => {
    expect(resolveJsonPointer(doc, parseJsonPointer('/metadata/annotations/a~1b'))).toEqual([
      'metadata',
      'annotations',
      'a/b',
    ]);
    expect(resolveJsonPointer(doc, parseJsonPointer('/spec/containers/1/name'))).toEqual([
      'spec',
      'containers',
      1,
      'name',
    ]);
  });
  it('designates nothing for missing fields, bad indices and "-"', () => {
    expect(resolveJsonPointer(doc, parseJsonPointer('/spec/replicas'))).toBeUndefined();
    expect(resolveJsonPointer(doc, parseJsonPointer('/spec/containers/2'))).toBeUndefined();
    expect(resolveJsonPointer(doc, parseJsonPointer('/spec/containers/01'))).toBeUndefined();
    expect(resolveJsonPointer(doc, parseJsonPointer('/spec/containers/-'))).toBeUndefined();
  });
});
