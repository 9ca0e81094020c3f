import { describe, expect, it } from 'vitest';
import { ownerOf } from './assignment.js';
import { refusal, type PeerLease, type SelfState, type ShardView } from './ownership.js';

const now = 1_000_000;
const view = (...members: string[]): ShardView => ({ members: members.sort(), shardBy: 'app', pins: '' });
const by = (key: string) => (v: ShardView) => ownerOf(key, v.members);
/** An app that replica `r` owns among `members`. */
function appOf(r: string, members: string[], other?: { r: string; members: string[] }): string {
  for (let i = 0; ; i++) {
    const k = `ns/app-${i}`;
    if (ownerOf(k, members) === r && (!other || ownerOf(k, other.members) === other.r)) return k;
  }
}
const live = (id: string, v?: ShardView): PeerLease => ({ id, view: v, expiresAt: now + 10_000 });
const dead = (id: string, v?: ShardView): PeerLease => ({ id, view: v, expiresAt: now - 1 });

describe('the ownership rule', () => {
  it('lets the owner act when every live replica publishes the same view', () => {
    const ab = view('a', 'b');
    const app = appOf('a', ab.members);
    const self: SelfState = {
      id: 'a',
      published: ab,
      intended: ab,
      fresh: true,
      peers: [live('a', ab), live('b', ab)],
    };
    expect(refusal(self, by(app), now)).toBeUndefined();
    expect(refusal({ ...self, id: 'b', peers: [live('a', ab), live('b', ab)] }, by(app), now)).toMatch(
      /another replica/,
    );
  });

  it('makes a newcomer wait until the old owner has published the new view, or its lease expired', () => {
    const ab = view('a', 'b');
    const abc = view('a', 'b', 'c');
    // An app that moves from a to the newcomer c.
    const app = appOf('c', abc.members, { r: 'a', members: ab.members });
    const c: SelfState = {
      id: 'c',
      published: abc,
      intended: abc,
      fresh: true,
      peers: [live('a', ab), live('b', abc)],
    };
    expect(refusal(c, by(app), now)).toMatch(/still held by replica a/);
    expect(refusal({ ...c, peers: [live('a', abc), live('b', abc)] }, by(app), now)).toBeUndefined();
    expect(refusal({ ...c, peers: [dead('a', ab), live('b', abc)] }, by(app), now)).toBeUndefined();
  });

  it('stops the old owner from starting passes on an app it is handing over', () => {
    const ab = view('a', 'b');
    const abc = view('a', 'b', 'c');
    const app = appOf('c', abc.members, { r: 'a', members: ab.members });
    const a: SelfState = { id: 'a', published: ab, intended: abc, fresh: true, peers: [live('b', ab)] };
    expect(refusal(a, by(app), now)).toMatch(/being handed/);
  });

  it('never lets two replicas act on one app, whatever views they published', () => {
    const ids = ['a', 'b', 'c'];
    const views = [
      view('a'),
      view('b'),
      view('c'),
      view('a', 'b'),
      view('a', 'c'),
      view('b', 'c'),
      view('a', 'b', 'c'),
    ];
    for (let i = 0; i < 12; i++) {
      const app = `ns/app-${i}`;
      for (const va of views)
        for (const vb of views)
          for (const vc of views) {
            const published: Record<string, ShardView> = { a: va, b: vb, c: vc };
            const peers = ids.map((id) => live(id, published[id]));
            const acting = ids.filter(
              (id) =>
                refusal(
                  { id, published: published[id], intended: published[id], fresh: true, peers },
                  by(app),
                  now,
                ) === undefined,
            );
            expect(acting.length).toBeLessThanOrEqual(1);
          }
    }
  }, 30_000);

  it('refuses everything without a fresh lease, before the first publish, or beside a peer sharding differently', () => {
    const a = view('a');
    const app = 'ns/x';
    expect(refusal({ id: 'a', published: a, intended: a, fresh: false, peers: [] }, by(app), now)).toMatch(
      /renew/,
    );
    expect(refusal({ id: 'a', fresh: true, peers: [] }, by(app), now)).toMatch(/not yet published/);
    const other = { ...view('b'), shardBy: 'cluster' as const };
    expect(
      refusal({ id: 'a', published: a, intended: a, fresh: true, peers: [live('b', other)] }, by(app), now),
    ).toMatch(/shards differently/);
    // One replica alone acts on every app: today's behaviour.
    expect(
      refusal({ id: 'a', published: a, intended: a, fresh: true, peers: [live('a', a)] }, by(app), now),
    ).toBeUndefined();
  });
});
