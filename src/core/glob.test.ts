import { describe, expect, it } from 'vitest';
import { UserError } from './errors.js';
import { compileGlobPattern, globMatch } from './glob.js';

const matches = (pattern: string, value: string, strict = false) =>
  compileGlobPattern(pattern, { strict }).test(value);

describe('compileGlobPattern', () => {
  it.each([false, true])('matches Argo CD glob syntax the same way in both modes (strict: %s)', (strict) => {
    expect(matches('*.yaml', 'sub/a.yaml', strict)).toBe(true);
    expect(matches('sub/**', 'sub/deep/er.yaml', strict)).toBe(true);
    expect(matches('a*', 'xa', strict)).toBe(false);
    expect(matches('v?', 'v1', strict)).toBe(true);
    expect(matches('v?', 'v12', strict)).toBe(false);
    expect(matches('[a-c]/x', 'b/x', strict)).toBe(true);
    expect(matches('[!a-c]/x', 'b/x', strict)).toBe(false);
    expect(matches('[!a-c]/x', 'd/x', strict)).toBe(true);
    expect(matches('{prod,stage}-*', 'stage-1', strict)).toBe(true);
    expect(matches('{sub/{x,y}.json,*.yml}', 'sub/y.json', strict)).toBe(true);
    expect(matches('{a,b}', 'c', strict)).toBe(false);
    expect(matches('a\\*', 'a*', strict)).toBe(true);
    expect(matches('a\\*', 'ab', strict)).toBe(false);
    expect(matches('a+b(c)|-.', 'a+b(c)|-.', strict)).toBe(true);
    expect(matches('a.b', 'axb', strict)).toBe(false);
    expect(matches('line*', 'line\nbreak', strict)).toBe(true);
  });

  it('strict mode refuses bad syntax with a UserError naming the context', () => {
    const bad = (pattern: string) => () => compileGlobPattern(pattern, { strict: true, context: 'spec.x' });
    expect(bad('[ab')).toThrow(new UserError('spec.x pattern "[ab" is invalid: "[" is not closed'));
    expect(bad('{a,b')).toThrow(new UserError('spec.x pattern "{a,b" is invalid: "{" is not closed'));
    expect(bad('a\\')).toThrow(new UserError('spec.x pattern "a\\" is invalid: it ends with a lone "\\"'));
    expect(() => compileGlobPattern('[', { strict: true })).toThrow('glob pattern "[" is invalid');
  });

  it('lenient mode reads bad syntax literally instead of failing', () => {
    expect(matches('[ab', '[ab')).toBe(true);
    expect(matches('[ab', 'a')).toBe(false);
    expect(matches('a\\', 'a\\')).toBe(true);
    expect(matches('{a,b', 'b')).toBe(true);
    expect(matches('{a,b', '{a,b')).toBe(false);
  });

  it('negates a class with ^ only when asked to', () => {
    expect(compileGlobPattern('[^a]').test('^')).toBe(true);
    expect(compileGlobPattern('[^a]').test('b')).toBe(false);
    expect(compileGlobPattern('[^a]', { caretNegates: true }).test('b')).toBe(true);
    expect(compileGlobPattern('[^a]', { caretNegates: true }).test('a')).toBe(false);
  });
});

describe('globMatch', () => {
  it('keeps * and ? within a segment when separators are given, and lets ** cross them', () => {
    expect(globMatch('https://github.com/org/*', 'https://github.com/org/repo')).toBe(true);
    expect(globMatch('https://github.com/org/*', 'https://github.com/org/a/b', { separators: '/' })).toBe(
      false,
    );
    expect(globMatch('https://github.com/org/**', 'https://github.com/org/a/b', { separators: '/' })).toBe(
      true,
    );
    expect(globMatch('a?c', 'a/c', { separators: '/' })).toBe(false);
    expect(globMatch('a?c', 'a/c')).toBe(true);
    expect(globMatch('kubectl*', 'kubectl-client-side-apply')).toBe(true);
    expect(globMatch('*', '')).toBe(true);
  });
});
