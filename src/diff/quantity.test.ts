import { describe, expect, it } from 'vitest';
import { isQuantityPath, parseQuantity, quantitiesEqual, scalarsEqual } from './quantity.js';

describe('parseQuantity', () => {
  it('parses decimal, binary and exponent forms exactly', () => {
    expect(parseQuantity('100m')).toEqual({ num: 100n, den: 1000n });
    expect(parseQuantity('0.1')).toEqual({ num: 1n, den: 10n });
    expect(parseQuantity('1Gi')).toEqual({ num: 1n << 30n, den: 1n });
    expect(parseQuantity('1e3')).toEqual({ num: 1000n, den: 1n });
    expect(parseQuantity('1E')).toEqual({ num: 10n ** 18n, den: 1n });
    expect(parseQuantity(2)).toEqual({ num: 2n, den: 1n });
    expect(parseQuantity('.5')).toEqual({ num: 5n, den: 10n });
  });
  it('refuses what is not a quantity', () => {
    for (const v of ['', 'abc', '1GB', '1.2.3', 'm', '1e999', true, null, {}])
      expect(parseQuantity(v)).toBeUndefined();
  });
});

describe('quantitiesEqual', () => {
  it.each([
    ['0.1', '100m'],
    [0.1, '100m'],
    ['1Gi', '1024Mi'],
    ['0.5Gi', '512Mi'],
    ['1', 1],
    ['1k', '1000'],
    ['1e3', '1k'],
    ['1.5', '1500m'],
  ])('%j = %j', (a, b) => expect(quantitiesEqual(a, b)).toBe(true));
  it.each([
    ['1G', '1Gi'],
    ['100m', '200m'],
    ['1Mi', '1M'],
  ])('%j ≠ %j', (a, b) => expect(quantitiesEqual(a, b)).toBe(false));
});

describe('scalarsEqual', () => {
  const cpu = ['spec', 'containers', 0, 'resources', 'requests', 'cpu'];
  it('compares quantities only in Quantity fields', () => {
    expect(isQuantityPath(cpu)).toBe(true);
    expect(isQuantityPath(['spec', 'volumes', 0, 'emptyDir', 'sizeLimit'])).toBe(true);
    expect(scalarsEqual('0.1', '100m', cpu)).toBe(true);
    expect(scalarsEqual('0.1', '100m', ['data', 'ratio'])).toBe(false);
    expect(scalarsEqual('1.0', '1', ['data', 'version'])).toBe(false);
  });
  it('treats a number and its decimal string as equal anywhere', () => {
    expect(scalarsEqual(8080, '8080', ['spec', 'ports', 0, 'targetPort'])).toBe(true);
    expect(scalarsEqual('8080', 8080, [])).toBe(true);
    expect(scalarsEqual(8080, '08080', [])).toBe(false);
    expect(scalarsEqual(8080, 'http', [])).toBe(false);
    expect(scalarsEqual(true, 'true', [])).toBe(false);
  });
});
