import { describe, expect, it } from 'vitest';
import { columnsFor, visibleRows } from './virtual.js';

describe('visibleRows', () => {
  it('renders the visible rows plus overscan and pads the rest', () => {
    expect(visibleRows(5000, 40, 4000, 400, 5)).toEqual({
      start: 95,
      end: 115,
      padTop: 3800,
      padBottom: (5000 - 115) * 40,
    });
    expect(visibleRows(3, 40, 0, 400)).toEqual({ start: 0, end: 3, padTop: 0, padBottom: 0 });
    expect(visibleRows(0, 40, 0, 400)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });
  it('clamps a scroll position past the end', () => {
    const w = visibleRows(10, 40, 99999, 400, 2);
    expect(w.end).toBe(10);
    expect(w.start).toBe(10);
    expect(w.padBottom).toBe(0);
  });
});

describe('columnsFor', () => {
  it('fits whole tiles, at least one', () => {
    expect(columnsFor(1000, 300, 16)).toBe(3);
    expect(columnsFor(100, 300, 16)).toBe(1);
  });
});
