import { describe, expect, it } from 'vitest';
import { comparisonChanged, mergeConditions, statusPatch } from './status.js';

describe('status helpers', () => {
  it('keeps the transition time of an unchanged condition', () => {
    const prev = [{ type: 'ComparisonError', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' }];
    expect(mergeConditions(prev, [{ type: 'ComparisonError', message: 'x' }], 'now')).toEqual(prev);
    expect(mergeConditions(prev, [{ type: 'ComparisonError', message: 'y' }], 'now')).toEqual([
      { type: 'ComparisonError', message: 'y', lastTransitionTime: 'now' },
    ]);
  });

  it('ignores reconciledAt and empty lists when deciding whether to write', () => {
    const a = { sync: { status: 'Synced' as const, revision: 'abc' }, reconciledAt: '1', conditions: [] };
    expect(comparisonChanged(a, { sync: { status: 'Synced', revision: 'abc' }, reconciledAt: '2' })).toBe(
      false,
    );
    expect(comparisonChanged(a, { sync: { status: 'OutOfSync', revision: 'abc' }, reconciledAt: '1' })).toBe(
      true,
    );
    expect(comparisonChanged(undefined, { sync: { status: 'Unknown' } })).toBe(true);
  });

  it('removes empty fields in the patch', () => {
    expect(statusPatch({ sync: { status: 'Synced' }, conditions: [] }).status).toMatchObject({
      sync: { status: 'Synced' },
      conditions: null,
      health: null,
    });
  });
});
