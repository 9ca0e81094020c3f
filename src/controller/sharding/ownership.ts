// The ownership rule: when may replica R act on an app? The argument that no two replicas ever act on
// one app at once, in the terms of membership.ts:
//
// 1. Every replica publishes, in its own Lease, the view it acts under: the sorted ids of the replicas
//    it saw live, how it shards (app|cluster) and a digest of the cluster pins. From a view anyone can
//    compute the apps its publisher claims (assignment.ts is a pure function of the view).
// 2. R acts on app A only when A is R's under the view it has *published* (a write that succeeded) and
//    under the view it is moving to, while its own lease is fresh (renewed within the renew deadline),
//    and when no other replica whose lease has not expired claims A under the view that replica
//    published, as read by a consistent LIST made *after* R's publish.
// 3. Before publishing a view that drops apps, R stops starting passes on them (rule 2, the view it is
//    moving to) and waits until none of them is running; until then it renews under the old view.
// Take two replicas R and Q that both act on A. Each published a view claiming A before its LIST, and
// each LIST saw the other not claiming A. Say R's publish came first: Q's LIST, after Q's publish, is
// after R's publish, so Q saw R's claim unless R published a later view dropping A, which by (3) R
// does only once it no longer acts on A. A replica that stops renewing stops acting at its renew
// deadline (10 s), and the others take its apps only when its lease has expired (15 s): the 5 s between
// them absorb clock skew and the last request in flight. Views that disagree (a replica joined or left
// and not everyone has seen it yet) only pause the apps that move, for about one retry period.

/** What a replica acts under, as published in its lease. */
export interface ShardView {
  /** Sorted ids of the live replicas. */
  members: string[];
  shardBy: 'app' | 'cluster';
  /** Digest of the cluster pins (cluster Secrets' `shard`), so pinned owners are computed alike. */
  pins: string;
}

/** Another replica as read from its lease. */
export interface PeerLease {
  id: string;
  /** Its published view; undefined when it has published none (claims nothing). */
  view?: ShardView;
  /** When its lease expires (renewTime + leaseDurationSeconds), in ms since the epoch. */
  expiresAt: number;
}

/** This replica's side of the rule. */
export interface SelfState {
  id: string;
  /** The view its lease carries now; undefined before the first successful publish. */
  published?: ShardView;
  /** The view it is moving to (equal to published when nothing changes). */
  intended?: ShardView;
  /** Whether its lease was renewed within the renew deadline. */
  fresh: boolean;
  /** Peers read by the consistent LIST made after the last publish; undefined until that LIST. */
  peers?: PeerLease[];
}

/** Computes the owner of an app under a view (assignment.ts with the app's shard key and pin). */
export type OwnerUnder = (view: ShardView) => string | undefined;

/** True when two views are the same. */
export function sameView(a: ShardView | undefined, b: ShardView | undefined): boolean {
  if (!a || !b) return a === b;
  return a.shardBy === b.shardBy && a.pins === b.pins && a.members.join('\n') === b.members.join('\n');
}

/** Why this replica may not act on an app now, or undefined when it may (rule 2 above). */
export function refusal(self: SelfState, ownerUnder: OwnerUnder, now: number): string | undefined {
  if (!self.fresh) return 'lease not renewed within the renew deadline';
  if (!self.published || !self.intended || !self.peers) return 'membership not yet published';
  if (ownerUnder(self.published) !== self.id) return 'owned by another replica';
  if (ownerUnder(self.intended) !== self.id) return 'being handed to another replica';
  for (const peer of self.peers) {
    if (peer.id === self.id || !peer.view || peer.expiresAt <= now) continue;
    // A peer sharding differently cannot be told apart from one claiming everything.
    if (peer.view.shardBy !== self.published.shardBy || peer.view.pins !== self.published.pins)
      return `replica ${peer.id} shards differently (waiting for it to converge)`;
    if (ownerUnder(peer.view) === peer.id) return `still held by replica ${peer.id}`;
  }
  return undefined;
}
