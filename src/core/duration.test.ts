import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads Go-style durations', () => {
    expect(parseDuration('180s')).toBe(180_000);
    expect(parseDuration('3m')).toBe(180_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5')).toBe(5000);
  });
  it('refuses anything else with a clear message', () => {
    expect(() => parseDuration('soon')).toThrow(
      'invalid duration "soon": use a number with a unit, such as 30s, 3m or 1h',
    );
    expect(() => parseDuration('3 minutes')).toThrow(/invalid duration/);
  });
});
