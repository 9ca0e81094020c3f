import { describe, expect, it } from 'vitest';
import { LOAD_FACTOR, SLOTS, ownerOf, slotTable } from './assignment.js';

const apps = Array.from({ length: 2000 }, (_, i) => `team-${i % 7}/app-${i}`);
const replicas = (n: number) => Array.from({ length: n }, (_, i) => `controller-${i}`);

function counts(members: string[]): Map<string, number> {
  const c = new Map<string, number>();
  for (const a of apps) {
    const o = ownerOf(a, members)!;
    c.set(o, (c.get(o) ?? 0) + 1);
  }
  return c;
}

describe('consistent hashing with bounded load', () => {
  it('keeps every replica within the load bound of the slots', () => {
    for (const n of [1, 2, 3, 5, 8]) {
      const load = new Map<string, number>();
      for (const r of slotTable(replicas(n))) load.set(r, (load.get(r) ?? 0) + 1);
      expect(load.size).toBe(n);
      for (const l of load.values()) expect(l).toBeLessThanOrEqual(Math.ceil((SLOTS / n) * LOAD_FACTOR));
    }
  });

  it('spreads apps over every replica near evenly', () => {
    for (const n of [2, 3, 5]) {
      const c = counts(replicas(n));
      expect(c.size).toBe(n);
      // 2,000 apps: within 20% of an even share (the hash of names is the only noise left).
      for (const v of c.values()) expect(Math.abs(v - apps.length / n)).toBeLessThan((apps.length / n) * 0.2);
    }
  });

  it('does not depend on the order replicas are listed in', () => {
    for (const a of apps.slice(0, 200)) expect(ownerOf(a, ['b', 'c', 'a'])).toBe(ownerOf(a, ['a', 'b', 'c']));
  });

  it('moves only the joining replica’s share on join, and only the leaving one’s apps on leave', () => {
    for (const n of [2, 3, 4]) {
      const before = replicas(n);
      const joined = [...before, `controller-${n}`];
      let moved = 0;
      for (const a of apps) {
        const was = ownerOf(a, before);
        const now = ownerOf(a, joined);
        if (was !== now) {
          moved++;
          expect(now).toBe(`controller-${n}`); // apps move to the newcomer only
        }
      }
      // The newcomer's fair share is 1/(n+1) of the apps; allow the hashing noise.
      expect(moved).toBeLessThan((apps.length / (n + 1)) * 1.3);
      const left = before.slice(1);
      for (const a of apps) {
        const was = ownerOf(a, before);
        if (was !== 'controller-0') expect(ownerOf(a, left)).toBe(was); // others keep theirs
      }
    }
  });

  it('gives a pinned shard to the replica at that index of the sorted ids, when it exists', () => {
    // Argo CD's `shard` field on a cluster Secret pins the cluster to the controller with that index; one
    // out of range falls back to hashing, as asked in argoproj/argo-cd#13226: "The application controller
    // should issue a warning and assign the cluster to a default placement as if the manually set shard
    // was not set."

    expect(ownerOf('any', ['c', 'a', 'b'], 1)).toBe('b');
    expect(ownerOf('any', ['c', 'a', 'b'], 3)).toBe(ownerOf('any', ['c', 'a', 'b']));
    expect(ownerOf('any', [])).toBeUndefined();
  });
});
