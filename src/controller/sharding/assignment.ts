// Which replica owns which app: consistent hashing with bounded load over a fixed set of hash slots.
//
// An app's shard key (its `namespace/name`, or its destination cluster with --shard-by cluster) hashes
// to one of SLOTS slots; the slots are dealt to the live replicas by rendezvous hashing, each slot
// going to the highest-scoring replica that still has room (at most ceil(SLOTS / replicas × LOAD_FACTOR)
// slots each: Mirrokni, Thorup and Zadimoghaddam's "consistent hashing with bounded loads"). The owner
// is a pure function of the shard key and the sorted list of replica ids, never of the set of apps a
// replica happens to have seen: two replicas that agree on the membership agree on every owner, which
// is what the ownership rule (ownership.ts) builds on.
import { createHash } from 'node:crypto';

/** Number of hash slots the key space is cut into. */
export const SLOTS = 4096;
/** No replica holds more than this factor above an even share of the slots. */
export const LOAD_FACTOR = 1.1;

/** The slot of a shard key. */
export function slotOf(shardKey: string): number {
  return createHash('sha1').update(shardKey).digest().readUInt32BE(0) % SLOTS;
}

function score(slot: number, replica: string): number {
  return createHash('sha1').update(`${slot}\0${replica}`).digest().readUInt32BE(0);
}

const tables = new Map<string, string[]>();

/** The owner of every slot for a membership (replica ids, any order); cached by membership. */
export function slotTable(replicas: readonly string[]): string[] {
  const members = [...new Set(replicas)].sort();
  const cacheKey = members.join('\n');
  const cached = tables.get(cacheKey);
  if (cached) return cached;
  const table: string[] = new Array<string>(SLOTS).fill('');
  if (members.length > 0) {
    const cap = Math.ceil((SLOTS / members.length) * LOAD_FACTOR);
    const load = new Map(members.map((m) => [m, 0]));
    for (let slot = 0; slot < SLOTS; slot++) {
      const ranked = members
        .map((m) => ({ m, s: score(slot, m) }))
        .sort((a, b) => b.s - a.s || (a.m < b.m ? -1 : 1));
      const pick = ranked.find((r) => load.get(r.m)! < cap)!.m;
      load.set(pick, load.get(pick)! + 1);
      table[slot] = pick;
    }
  }
  if (tables.size > 64) tables.clear(); // memberships change rarely; keep the cache small anyway
  tables.set(cacheKey, table);
  return table;
}

/**
 * The replica that owns a shard key under a membership; `pin` (a cluster Secret's `shard` field, an
 * index into the sorted replica ids) wins when it names a live replica. Undefined without replicas.
 */
export function ownerOf(shardKey: string, replicas: readonly string[], pin?: number): string | undefined {
  if (replicas.length === 0) return undefined;
  const members = [...new Set(replicas)].sort();
  if (pin !== undefined && Number.isInteger(pin) && pin >= 0 && pin < members.length) return members[pin];
  return slotTable(members)[slotOf(shardKey)];
}
