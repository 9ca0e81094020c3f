import { hostname } from 'node:os';
import { parseDuration, UserError } from '../../core/index.js';
import type { ShardingOptions } from './membership.js';

/** Help lines of the replica flags, for `mooring controller` and `mooring server`. */
export const SHARDING_FLAGS_HELP = `  --shard-by app|cluster         run as one of several replicas sharing the apps through Leases in the
                                 control-plane namespace: by app, or by destination cluster (as Argo CD);
                                 unset: this process acts on every app and writes no Lease
  --replica-id ID                this replica's id (default: $POD_NAME, else hostname-pid)
  --lease-duration DURATION      a replica that stopped renewing loses its apps after this (default 15s)
  --renew-deadline DURATION      a replica that could not renew for this long stops acting (default 10s)
  --retry-period DURATION        how often leases are renewed and read (default 2s)
`;

/** parseArgs definitions of the replica flags. */
export const SHARDING_FLAGS = {
  'shard-by': { type: 'string' },
  'replica-id': { type: 'string' },
  'lease-duration': { type: 'string', default: '15s' },
  'renew-deadline': { type: 'string', default: '10s' },
  'retry-period': { type: 'string', default: '2s' },
} as const;

/** ShardingOptions from the replica flags; undefined without --shard-by. */
export function shardingFromFlags(values: {
  'shard-by'?: string;
  'replica-id'?: string;
  'lease-duration'?: string;
  'renew-deadline'?: string;
  'retry-period'?: string;
}): ShardingOptions | undefined {
  const by = values['shard-by'];
  if (by === undefined) return undefined;
  if (by !== 'app' && by !== 'cluster') throw new UserError(`invalid --shard-by "${by}": use app or cluster`);
  const leaseDurationMs = parseDuration(values['lease-duration'] ?? '15s');
  const renewDeadlineMs = parseDuration(values['renew-deadline'] ?? '10s');
  const retryPeriodMs = parseDuration(values['retry-period'] ?? '2s');
  if (!(retryPeriodMs > 0 && retryPeriodMs < renewDeadlineMs && renewDeadlineMs < leaseDurationMs))
    throw new UserError(
      'replica timings must satisfy 0 < --retry-period < --renew-deadline < --lease-duration',
    );
  const replicaId = values['replica-id'] || process.env.POD_NAME || `${hostname()}-${process.pid}`;
  if (!/[a-zA-Z0-9]/.test(replicaId)) throw new UserError(`invalid --replica-id "${replicaId}"`);
  return { replicaId, shardBy: by, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}
