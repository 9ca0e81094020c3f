import { describe, expect, it } from 'vitest';
import { shardingFromFlags } from './flags.js';
import { pinsFromSecrets } from './gate.js';
import { leaseName } from './membership.js';

describe('replica flags', () => {
  it('are off without --shard-by, and take client-go leader election timings by default', () => {
    expect(shardingFromFlags({})).toBeUndefined();
    expect(shardingFromFlags({ 'shard-by': 'app', 'replica-id': 'r1' })).toEqual({
      replicaId: 'r1',
      shardBy: 'app',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
  });

  it('refuse a wrong mode or timings out of order in one line', () => {
    expect(() => shardingFromFlags({ 'shard-by': 'project' })).toThrow(
      /invalid --shard-by "project": use app or cluster/,
    );
    expect(() => shardingFromFlags({ 'shard-by': 'app', 'renew-deadline': '20s' })).toThrow(
      /--retry-period < --renew-deadline < --lease-duration/,
    );
  });

  it('default the replica id to the pod name', () => {
    const before = process.env.POD_NAME;
    process.env.POD_NAME = 'mooring-server-7d9f-abcde';
    try {
      expect(shardingFromFlags({ 'shard-by': 'cluster' })?.replicaId).toBe('mooring-server-7d9f-abcde');
    } finally {
      if (before === undefined) delete process.env.POD_NAME;
      else process.env.POD_NAME = before;
    }
  });
});

describe('pins and lease names', () => {
  it('read the shard field of cluster Secrets, ignoring what is not a whole number', () => {
    const secret = (server: string, shard?: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: server },
      data: {
        server: Buffer.from(server).toString('base64'),
        ...(shard === undefined ? {} : { shard: Buffer.from(shard).toString('base64') }),
      },
    });
    const pins = pinsFromSecrets([secret('https://a/', '1'), secret('https://b', 'x'), secret('https://c')]);
    expect([...pins]).toEqual([['https://a', 1]]);
  });

  it('make a valid Lease name of any replica id', () => {
    expect(leaseName('Host_1-4242')).toBe('mooring-controller-host-1-4242');
  });
});
