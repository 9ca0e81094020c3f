import type { Path } from './path.js';

/** An exact rational value of a Kubernetes quantity: numerator / denominator. */
export interface Rational {
  num: bigint;
  den: bigint;
}

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?[0-9]+))?$/;

/**
 * Parses a Kubernetes resource quantity ("100m", "0.1", "1Gi", "1e3", or a number) into an exact
 * rational, so that values the apiserver canonicalises differently compare equal without float error.
 */
export function parseQuantity(value: unknown): Rational | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return parseQuantity(String(value));
  }
  if (typeof value !== 'string') return undefined;
  const m = QUANTITY.exec(value.trim());
  if (!m) return undefined;
  const [, sign, int = '', frac = '', suffix = '', exp] = m;
  if (int === '' && frac === '') return undefined;
  let num = BigInt(int + frac) * (sign === '-' ? -1n : 1n);
  let den = 10n ** BigInt(frac.length);
  // Exponents beyond the largest suffix are not quantities any controller writes; refuse them
  // rather than building huge bigints from a hostile string.
  const e10 = exp !== undefined ? Number(exp) : (DECIMAL[suffix] ?? 0);
  if (Math.abs(e10) > 30) return undefined;
  if (BINARY[suffix] !== undefined) num *= BINARY[suffix];
  else if (e10 >= 0) num *= 10n ** BigInt(e10);
  else den *= 10n ** BigInt(-e10);
  return { num, den };
}

/** True when two quantities denote the same amount ("0.1" = "100m", "1Gi" = "1024Mi", 1 = "1"). */
export function quantitiesEqual(a: unknown, b: unknown): boolean {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x !== undefined && y !== undefined && x.num * y.den === y.num * x.den;
}

// Map keys whose values are resource.Quantity in the Kubernetes API (resources.limits/requests,
// ResourceQuota hard/used, LimitRange, PVC capacity, node capacity/allocatable, pod overhead), and
// fields that are a Quantity themselves. Outside them a string like "0.1" is just a string: a
// ConfigMap value "1.0" differs from "1".
const QUANTITY_MAPS = new Set([
  'limits',
  'requests',
  'hard',
  'used',
  'capacity',
  'allocatable',
  'overhead',
  'max',
  'min',
  'default',
  'defaultRequest',
  'maxLimitRequestRatio',
]);
const QUANTITY_FIELDS = new Set(['sizeLimit']);

/** True when the value at this path is typed resource.Quantity in the Kubernetes API. */
export function isQuantityPath(path: Path): boolean {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (typeof last === 'string' && QUANTITY_FIELDS.has(last)) return true;
  return typeof parent === 'string' && QUANTITY_MAPS.has(parent);
}

const DECIMAL_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * Equality of two scalars as a Kubernetes user means it: identical, or a number and the string
 * spelling the same number (8080 and "8080"), or, in Quantity fields, the same quantity.
 */
export function scalarsEqual(a: unknown, b: unknown, path: Path): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'string' && DECIMAL_NUMBER.test(b) && Number(b) === a)
    return true;
  if (typeof a === 'string' && typeof b === 'number' && DECIMAL_NUMBER.test(a) && Number(a) === b)
    return true;
  return isQuantityPath(path) && quantitiesEqual(a, b);
}
