// Membership through coordination.k8s.io/v1 Leases: each replica renews its own Lease
// `mooring-controller-<replicaId>` in the control-plane namespace every retry period, publishing there
// the view it acts under, then reads every replica's Lease with one consistent LIST. ownership.ts says
// why acting on that LIST is safe; this file only keeps the Leases and the state the rule reads.
import { errorMessage, silentLogger, type Logger } from '../../core/index.js';
import { KubeApiError, type KubeClient } from '../../cluster/index.js';
import {
  refusal,
  sameView,
  type OwnerUnder,
  type PeerLease,
  type SelfState,
  type ShardView,
} from './ownership.js';

/** Label on every membership Lease (the LIST selects on it). */
export const MEMBER_LABEL = 'mooring.io/shard-member';
/** Annotation carrying the published view (JSON of ShardView). */
export const VIEW_ANNOTATION = 'mooring.io/shard-view';
/** Annotation carrying the replica's API URL, so other replicas can forward per-app API requests to it. */
export const API_URL_ANNOTATION = 'mooring.io/api-url';
/** Annotation carrying the signature of the API URL (HMAC under the server key; see src/api/owner-proxy.ts). */
export const API_URL_SIGNATURE_ANNOTATION = 'mooring.io/api-url-signature';
/** Leases expired for this long are deleted by whoever sees them (pods of a Deployment get new names). */
const FORGET_AFTER_MS = 10 * 60_000;

/** How replicas shard and the lease timings (client-go's leader-election defaults). */
export interface ShardingOptions {
  /** This replica's id (default: pod name / hostname and pid). */
  replicaId: string;
  /** Apps by their own key (`app`) or by destination cluster (`cluster`, as Argo CD). */
  shardBy: 'app' | 'cluster';
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /**
   * Reads the replicas' Leases without being one (an API-only process): writes no Lease, owns no app,
   * knows who does.
   */
  observer?: boolean;
}

/** What the membership needs from the controller. */
export interface MembershipDeps {
  client: KubeClient;
  namespace: string;
  options: ShardingOptions;
  logger?: Logger;
  /** Digest of the cluster pins in force (cluster Secrets' `shard` fields). */
  pinsDigest: () => string;
  /** The owner of an app (by `namespace/name`) under a view. */
  ownerUnder: (appKey: string) => OwnerUnder;
  /** Keys of the apps with a pass running now. */
  running: () => Iterable<string>;
  /** Called when the apps this replica may act on may have changed. */
  onChange: () => void;
  now?: () => number;
}

interface LeaseObject {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

/** Kubernetes MicroTime: RFC 3339 with six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The Lease name of a replica id. */
export function leaseName(replicaId: string): string {
  const safe = replicaId
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `mooring-controller-${safe}`.slice(0, 253);
}

/** Keeps this replica's membership Lease and the peers' published views. */
export class Membership {
  private readonly logger: Logger;
  private published?: ShardView;
  private intended?: ShardView;
  private peers?: PeerLease[];
  private renewedAt = Number.NEGATIVE_INFINITY;
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;
  private lastDigest = '';
  /** More annotations this replica publishes on its Lease (its API URL). */
  private readonly advertised: Record<string, string | (() => string)> = {};
  /** The annotations of each replica's Lease, by replica id, as last listed. */
  private peerAnnotations = new Map<string, Record<string, string>>();

  constructor(private readonly deps: MembershipDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  private get id(): string {
    return this.deps.options.replicaId;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.deps.namespace}/leases`;
  }

  /** Publishes this replica's lease and reads the others' once, then keeps renewing. */
  async start(): Promise<void> {
    // Read who is live first, so the first view published includes them (a view of one claims all).
    this.peers = await this.listPeers();
    await this.tick();
    this.schedule();
  }

  /** Stops renewing and deletes this replica's lease, so its apps move at once (call when idle). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    this.published = undefined;
    if (this.deps.options.observer) return;
    try {
      await this.deps.client.request({ method: 'DELETE', path: `${this.path}/${leaseName(this.id)}` });
    } catch (err) {
      this.logger.warn('could not delete the membership lease', { error: errorMessage(err) });
    }
  }

  /** Why this replica may not act on an app now, or undefined when it may. */
  refusal(appKey: string): string | undefined {
    return refusal(this.self(), this.deps.ownerUnder(appKey), this.now());
  }

  /** True when this replica owns the app under its published view (for metrics and status). */
  owns(appKey: string): boolean {
    return !!this.published && this.deps.ownerUnder(appKey)(this.published) === this.id;
  }

  /** Publishes an annotation on this replica's Lease from its next renewal on (a function: read at each renewal). */
  advertise(key: string, value: string | (() => string)): void {
    this.advertised[key] = value;
  }

  private advertisedNow(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.advertised)) {
      try {
        out[k] = typeof v === 'function' ? v() : v;
      } catch (err) {
        this.logger.warn('could not compute a lease annotation', { annotation: k, error: errorMessage(err) });
      }
    }
    return out;
  }

  /**
   * The live replica that claims an app under the view it published (this one included), or undefined
   * while nobody does (a hand-off in progress).
   */
  claimant(appKey: string): string | undefined {
    const now = this.now();
    const owner = this.deps.ownerUnder(appKey);
    if (this.published && owner(this.published) === this.id && this.self().fresh) return this.id;
    return this.peers?.find((p) => p.id !== this.id && p.expiresAt > now && p.view && owner(p.view) === p.id)
      ?.id;
  }

  /** An annotation of a replica's Lease, as last listed (this replica's own: as advertised). */
  annotationOf(replicaId: string, key: string): string | undefined {
    return replicaId === this.id ? this.advertisedNow()[key] : this.peerAnnotations.get(replicaId)?.[key];
  }

  /** The view this replica's lease carries. */
  get view(): ShardView | undefined {
    return this.published;
  }

  private self(): SelfState {
    return {
      id: this.id,
      published: this.published,
      intended: this.intended,
      peers: this.peers,
      fresh: this.now() - this.renewedAt < this.deps.options.renewDeadlineMs,
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    // The next round after the retry period, or as soon as a peer's lease expires if that is sooner:
    // its apps move without waiting for the round after.
    const now = this.now();
    const expiries = (this.peers ?? [])
      .filter((p) => p.id !== this.id && p.expiresAt > now)
      .map((p) => p.expiresAt - now + 50);
    const delay = Math.min(this.deps.options.retryPeriodMs, ...expiries);
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => this.schedule());
    }, delay);
    this.timer.unref?.();
  }

  /** One round: choose the view to publish, renew the lease with it, read every lease. */
  private async tick(): Promise<void> {
    if (this.deps.options.observer) return this.observe();
    const started = this.now();
    const live = (this.peers ?? []).filter((p) => p.expiresAt > started).map((p) => p.id);
    this.intended = {
      members: [...new Set([...live, this.id])].sort(),
      shardBy: this.deps.options.shardBy,
      pins: this.deps.pinsDigest(),
    };
    let next = this.published;
    if (!sameView(this.intended, this.published)) {
      // Publish a view that drops apps only once none of them is running (ownership.ts, rule 3).
      const intended = this.intended;
      const blocked = [...this.deps.running()].some((key) => {
        const owner = this.deps.ownerUnder(key);
        return !!this.published && owner(this.published) === this.id && owner(intended) !== this.id;
      });
      if (!blocked) next = intended;
    }
    try {
      await this.writeLease(started, next);
      const changed = !sameView(next, this.published);
      if (changed) this.peers = undefined; // the LIST below must come after this publish
      this.published = next;
      this.renewedAt = started;
      if (changed) this.logger.info('shard view published', { replica: this.id, members: next?.members });
      this.peers = await this.listPeers();
    } catch (err) {
      this.logger.warn('membership lease renewal failed', { replica: this.id, error: errorMessage(err) });
    }
    this.notifyIfChanged();
  }

  /** An observer's round: only read the Leases. */
  private async observe(): Promise<void> {
    try {
      this.peers = await this.listPeers();
    } catch (err) {
      this.logger.warn('reading the membership leases failed', { error: errorMessage(err) });
    }
    this.notifyIfChanged();
  }

  private notifyIfChanged(): void {
    const now = this.now();
    const s = this.self();
    const digest = JSON.stringify([
      s.fresh,
      s.published,
      s.intended,
      s.peers?.filter((p) => p.expiresAt > now).map((p) => [p.id, p.view]),
    ]);
    if (digest === this.lastDigest) return;
    this.lastDigest = digest;
    this.deps.onChange();
  }

  private async writeLease(now: number, view: ShardView | undefined): Promise<void> {
    const name = leaseName(this.id);
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: this.deps.namespace,
        labels: { [MEMBER_LABEL]: 'controller', 'app.kubernetes.io/part-of': 'mooring' },
        annotations: { ...this.advertisedNow(), [VIEW_ANNOTATION]: view ? JSON.stringify(view) : '' },
      },
      spec: {
        holderIdentity: this.id,
        leaseDurationSeconds: Math.ceil(this.deps.options.leaseDurationMs / 1000),
        renewTime: microTime(now),
      },
    };
    const timeoutMs = this.deps.options.renewDeadlineMs;
    try {
      await this.deps.client.request({
        method: 'PATCH',
        path: `${this.path}/${name}`,
        body,
        contentType: 'application/merge-patch+json',
        timeoutMs,
      });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 404)) throw err;
      await this.deps.client.request({
        method: 'POST',
        path: this.path,
        body: { ...body, spec: { ...body.spec, acquireTime: microTime(now) } },
        timeoutMs,
      });
    }
  }

  private async listPeers(): Promise<PeerLease[]> {
    const list = await this.deps.client.request<{ items: LeaseObject[] }>({
      path: this.path,
      query: { labelSelector: `${MEMBER_LABEL}=controller` },
      timeoutMs: this.deps.options.renewDeadlineMs,
    });
    const now = this.now();
    const peers: PeerLease[] = [];
    const annotations = new Map<string, Record<string, string>>();
    for (const lease of list.items) {
      const id = lease.spec?.holderIdentity;
      const renewed = Date.parse(lease.spec?.renewTime ?? '');
      if (!id || Number.isNaN(renewed)) continue;
      const expiresAt = renewed + (lease.spec?.leaseDurationSeconds ?? 15) * 1000;
      if (id !== this.id && now - expiresAt > FORGET_AFTER_MS) {
        void this.deps.client
          .request({ method: 'DELETE', path: `${this.path}/${lease.metadata.name}` })
          .catch(() => {});
        continue;
      }
      peers.push({ id, expiresAt, view: parseView(lease.metadata.annotations?.[VIEW_ANNOTATION]) });
      annotations.set(id, lease.metadata.annotations ?? {});
    }
    this.peerAnnotations = annotations;
    return peers;
  }
}

function parseView(text: string | undefined): ShardView | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<ShardView>;
    if (!Array.isArray(v.members) || (v.shardBy !== 'app' && v.shardBy !== 'cluster')) return undefined;
    return { members: v.members.map(String), shardBy: v.shardBy, pins: String(v.pins ?? '') };
  } catch {
    return undefined;
  }
}
