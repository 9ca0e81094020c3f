// The ownership gate the controller asks before every pass: which replica an app belongs to (its key
// or its destination cluster, and the cluster Secret's `shard` pin), through the membership Leases.
import { createHash } from 'node:crypto';
import type { Application, ApplicationDestination, KubeObject, Logger } from '../../core/index.js';
import type { KubeClient } from '../../cluster/index.js';
import { ownerOf } from './assignment.js';
import { Membership, type ShardingOptions } from './membership.js';
import type { OwnerUnder } from './ownership.js';

/** What the gate reads from the controller. */
export interface ShardGateDeps {
  client: KubeClient;
  namespace: string;
  options: ShardingOptions;
  logger?: Logger;
  /** The Application of a `namespace/name` key, as watched. */
  application: (appKey: string) => Application | undefined;
  /** The server URL of a destination given by name (undefined when no cluster has that name). */
  serverOf: (dest: ApplicationDestination) => string | undefined;
  /** Keys of the apps with a pass running now. */
  running: () => Iterable<string>;
  /** Called with the keys to look at again when the apps this replica may act on may have changed. */
  onChange: () => void;
}

function decode(value: string | undefined): string | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8').trim();
}

/**
 * Pins from cluster Secrets: server URL → replica index, from the Secret's `shard` field (Argo CD's
 * manual shard assignment). Fields that are not a whole number are ignored.
 */
export function pinsFromSecrets(secrets: KubeObject[]): Map<string, number> {
  const pins = new Map<string, number>();
  for (const s of secrets) {
    const data = (s as KubeObject & { data?: Record<string, string> }).data ?? {};
    const server = decode(data.server);
    const shard = decode(data.shard);
    if (server && shard && /^\d+$/.test(shard)) pins.set(server.replace(/\/$/, ''), Number(shard));
  }
  return pins;
}

/** Decides, per app, whether this replica may act on it now; owns the membership Lease. */
export class ShardGate {
  readonly membership: Membership;
  private pins = new Map<string, number>();
  private pinsDigest = '';

  constructor(private readonly deps: ShardGateDeps) {
    this.membership = new Membership({
      client: deps.client,
      namespace: deps.namespace,
      options: deps.options,
      logger: deps.logger,
      pinsDigest: () => this.pinsDigest,
      ownerUnder: (key) => this.ownerUnder(key),
      running: deps.running,
      onChange: deps.onChange,
    });
  }

  /** This replica's id. */
  get replicaId(): string {
    return this.deps.options.replicaId;
  }

  /** Follows the cluster Secrets' `shard` pins. */
  setClusterSecrets(secrets: KubeObject[]): void {
    this.pins = pinsFromSecrets(secrets);
    const sorted = [...this.pins].sort(([a], [b]) => (a < b ? -1 : 1));
    this.pinsDigest =
      sorted.length === 0 ? '' : createHash('sha1').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
  }

  /** Why this replica may not act on the app now, or undefined when it may. */
  refusal(appKey: string): string | undefined {
    return this.membership.refusal(appKey);
  }

  /** True when the app is this replica's under its published view. */
  owns(appKey: string): boolean {
    return this.membership.owns(appKey);
  }

  /** The live replica that acts on an app now (this one included); undefined during a hand-off. */
  claimant(appKey: string): string | undefined {
    return this.membership.claimant(appKey);
  }

  /** The replica that owns an app among these replicas (by its key or cluster, and its pin). */
  ownerAmong(appKey: string, replicas: string[]): string | undefined {
    return this.ownerUnder(appKey)({
      members: [...replicas].sort(),
      shardBy: this.deps.options.shardBy,
      pins: '',
    });
  }

  private ownerUnder(appKey: string): OwnerUnder {
    const app = this.deps.application(appKey);
    const dest = app?.spec?.destination ?? {};
    const server = (dest.server ?? this.deps.serverOf(dest))?.replace(/\/$/, '');
    const pin = server === undefined ? undefined : this.pins.get(server);
    const shardKey = this.deps.options.shardBy === 'cluster' ? (server ?? `name:${dest.name ?? ''}`) : appKey;
    return (view) => ownerOf(shardKey, view.members, pin);
  }
}
