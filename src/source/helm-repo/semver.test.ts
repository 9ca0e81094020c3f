import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  isExactVersion,
  newestMatching,
  parseConstraint,
  parseVersion,
  satisfies,
} from './semver.js';

const matches = (constraint: string, version: string) =>
  satisfies(parseVersion(version)!, parseConstraint(constraint));

describe('semver versions', () => {
  it('parses loosely and orders by precedence, prereleases below their release', () => {
    const sorted = [
      '1.0.0',
      '1.0.0-rc.1',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta.11',
      '1.0.0-beta.2',
      'v0.9',
      '2',
    ]
      .map((t) => parseVersion(t)!)
      .sort(compareVersions)
      .map((v) => v.raw);
    expect(sorted).toEqual([
      'v0.9',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '2',
    ]);
    expect(parseVersion('1.2.3+build.5')).toMatchObject({ major: 1, minor: 2, patch: 3, prerelease: [] });
    expect(parseVersion('latest')).toBeUndefined();
    expect(parseVersion('1.2.3.4')).toBeUndefined();
  });

  it('tells an exact version from a constraint', () => {
    expect(isExactVersion('1.2.3')).toBe(true);
    expect(isExactVersion('v1.2.3-rc.1+meta')).toBe(true);
    for (const c of ['1.2', '1.2.*', '>=1.0', '^1.2', '~1.2.3', '1.0.0 || 2.0.0'])
      expect(isExactVersion(c)).toBe(false);
  });
});

describe('semver constraints (Masterminds/semver syntax, as Argo CD reads targetRevision)', () => {
  // Argo CD, "Tracking and Deployment Strategies": "Helm chart versions are Semantic Versions. As a
  // result, you can use any of the following version ranges" — 1.2.0, 1.2.* or >=1.2.0 <1.3.0,
  // 1.* or >=1.0.0 <2.0.0, * or >=0.0.0, *-0 or >=0.0.0-0.
  it.each([
    ['1.2.0', '1.2.0', true],
    ['1.2.0', '1.2.1', false],
    ['1.2.*', '1.2.7', true],
    ['1.2.*', '1.3.0', false],
    ['>=1.2.0 <1.3.0', '1.2.9', true],
    ['>=1.2.0 <1.3.0', '1.3.0', false],
    ['1.*', '1.9.9', true],
    ['1.*', '2.0.0', false],
    ['>=1.0.0 <2.0.0', '1.5.0', true],
    ['*', '7.1.0', true],
    ['>=0.0.0', '0.0.1', true],
    ['1.2.x', '1.2.3', true],
    ['1.2', '1.2.3', true], // a missing part is a wildcard
    ['=1.2.3', '1.2.3', true],
    ['!=1.2.3', '1.2.3', false],
    ['!=1.2.3', '1.2.4', true],
    ['!=1.2.x', '1.2.4', false],
    ['>1.2.3', '1.2.4', true],
    ['>1.2', '1.2.9', false],
    ['>1.2', '1.3.0', true],
    ['>1', '1.9.0', false],
    ['<2.0', '1.99.0', true],
    ['<2.0', '2.0.0', false],
    ['<=1.2', '1.2.9', true],
    ['<=1.2', '1.3.0', false],
    ['>= 1.0, < 2.0', '1.4.0', true],
    ['>=1.0, <2.0', '2.1.0', false],
    ['^1.2', '1.9.0', true],
    ['^1.2', '2.0.0', false],
    ['^1.2.3', '1.2.2', false],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['^0.0.3', '0.0.4', false],
    ['^0', '0.9.0', true],
    ['~1.2.3', '1.2.9', true],
    ['~1.2.3', '1.3.0', false],
    ['~1', '1.9.0', true],
    ['~>2.3', '2.3.5', true],
    ['~>2.3', '2.4.0', false],
    ['1.2 - 1.4.5', '1.4.5', true],
    ['1.2 - 1.4.5', '1.4.6', false],
    ['1.2 - 1.4.5', '1.1.9', false],
    ['<1.0 || >=3.0', '3.1.0', true],
    ['<1.0 || >=3.0', '2.0.0', false],
    ['v1.2.3', '1.2.3', true],
  ])('%s with %s → %s', (constraint, version, expected) => {
    expect(matches(constraint, version)).toBe(expected);
  });

  // Argo CD: "If you want Argo CD to include all existing prerelease version tags of a repository in the
  // comparison logic, you explicitly have to add a prerelease -0 suffix to the version constraint."
  it('skips prereleases unless the constraint names one', () => {
    expect(matches('*', '2.0.0-rc.1')).toBe(false);
    expect(matches('*-0', '2.0.0-rc.1')).toBe(true);
    expect(matches('>=1.2.2', '1.3.0-beta')).toBe(false);
    expect(matches('>=1.2.2-0', '1.3.0-beta')).toBe(true);
    expect(matches('1.0.*', '1.0.1-alpha')).toBe(false);
  });

  it('picks the newest matching version', () => {
    const versions = ['1.0.0', '1.0.1', '1.1.0', '2.0.0-rc.1', '1.0.2-beta', 'not-a-version', '0.9.0'];
    expect(newestMatching(versions, parseConstraint('1.0.*'))).toBe('1.0.1');
    expect(newestMatching(versions, parseConstraint('>=1.0 <2.0'))).toBe('1.1.0');
    expect(newestMatching(versions, parseConstraint('*'))).toBe('1.1.0');
    expect(newestMatching(versions, parseConstraint('*-0'))).toBe('2.0.0-rc.1');
    expect(newestMatching(versions, parseConstraint('^3'))).toBeUndefined();
  });

  it('refuses what it cannot read, naming the part', () => {
    expect(() => parseConstraint('')).toThrow('the version constraint is empty');
    expect(() => parseConstraint('>=foo')).toThrow('"foo" in ">=foo" is not a version');
    expect(() => parseConstraint('1.0 ||')).toThrow('"1.0 ||" has an empty alternative around "||"');
    expect(() => parseConstraint('latest')).toThrow('"latest" in "latest" is not a version');
  });
});
