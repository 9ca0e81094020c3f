import { describe, expect, it } from 'vitest';
import { shortRevision, timeAgo } from './format.js';

describe('shortRevision', () => {
  it('shortens commit SHAs only', () => {
    expect(shortRevision('0123456789abcdef0123456789abcdef01234567')).toBe('0123456');
    expect(shortRevision('main')).toBe('main');
    expect(shortRevision(undefined)).toBe('');
  });
});

describe('timeAgo', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('speaks in the largest whole unit', () => {
    expect(timeAgo('2026-01-01T11:59:50Z', now)).toBe('just now');
    expect(timeAgo('2026-01-01T11:57:00Z', now)).toBe('3 minutes ago');
    expect(timeAgo('2026-01-01T11:00:00Z', now)).toBe('1 hour ago');
    expect(timeAgo('2025-12-30T12:00:00Z', now)).toBe('2 days ago');
    expect(timeAgo('nonsense', now)).toBe('');
  });
});
