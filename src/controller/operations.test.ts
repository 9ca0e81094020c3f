import { describe, expect, it } from 'vitest';
import type { SyncState } from '../sync/index.js';
import { notBeforeComparison } from './operations.js';

const finished = (finishedAt: string) => ({ phase: 'Succeeded', finishedAt }) as unknown as SyncState;

describe('notBeforeComparison', () => {
  it('rounds a finishedAt truncated to before the comparison shown during the sync up to its next second', () => {
    // The sync ended at 10:00:00.900, written as 10:00:00Z; the comparison before it was at .615.
    expect(notBeforeComparison(finished('2026-12-07T10:00:00Z'), '2026-12-07T10:00:00.615Z').finishedAt).toBe(
      '2026-12-07T10:00:01Z',
    );
  });

  it('keeps a finishedAt that is not before the comparison, and a sync without either', () => {
    const later = finished('2026-12-07T10:00:02Z');
    expect(notBeforeComparison(later, '2026-12-07T10:00:00.615Z')).toBe(later);
    expect(notBeforeComparison(finished('2026-12-07T10:00:00Z'), '2026-12-07T10:00:00Z').finishedAt).toBe(
      '2026-12-07T10:00:00Z',
    );
    expect(notBeforeComparison(later, undefined)).toBe(later);
    const running = { phase: 'Running' } as unknown as SyncState;
    expect(notBeforeComparison(running, '2026-12-07T10:00:00.615Z')).toBe(running);
  });
});
