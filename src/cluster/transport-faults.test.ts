// Fault injection on loopback: a minimal HTTP server that misbehaves on the wire the way a sick
// apiserver or a broken network path does (ERROR events, malformed lines, hung answers). It is not a
// fake API server: it answers only the one list and the one watch path these tests ask for. The
// behaviours that need real Kubernetes semantics (410 on a too-old resourceVersion, connection reuse
// over TLS) are tested against the real local apiserver in transport.integration.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../core/index.js';
import type { ApiResource } from './discovery.js';
import { Informer } from './informer.js';
import { KubeClient } from './kube-client.js';
import { runWithKubePriority } from './rate-limiter.js';
import {
  configureKubeTransport,
  DEFAULT_KUBE_TRANSPORT,
  kubeTransportStats,
  resetKubeTransport,
} from './transport.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, watchCount: number) => void;

interface FaultServer {
  url: string;
  watches: URL[];
  lists: number;
  close(): Promise<void>;
}

async function faultServer(onWatch: Handler, onOther?: Handler): Promise<FaultServer> {
  const state = { watches: [] as URL[], lists: 0 };
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.get('watch')) {
      state.watches.push(url);
      return onWatch(req, res, state.watches.length);
    }
    if (onOther) return onOther(req, res, 0);
    state.lists++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'ConfigMapList', metadata: { resourceVersion: '100' }, items: [] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    watches: state.watches,
    get lists() {
      return state.lists;
    },
    close: async () => {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function clientFor(url: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'faults', server: url, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'c', cluster: 'faults', user: 'u' }],
    currentContext: 'c',
  });
  return new KubeClient(kc);
}

const configMaps: ApiResource = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
  verbs: [],
};

function recordingLogger(): Logger & { warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const noop = () => {};
  return {
    warnings,
    debug: noop,
    info: noop,
    error: noop,
    warn: (_m: string, f?: Record<string, unknown>) => warnings.push(f ?? {}),
  } as never;
}

const event = (type: string, object: unknown) => JSON.stringify({ type, object }) + '\n';
const cm = (name: string, rv: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', resourceVersion: rv },
});

describe('watch faults (fault-injection server on loopback)', () => {
  let server: FaultServer | undefined;
  let informer: Informer | undefined;
  beforeEach(() => resetKubeTransport());
  afterEach(async () => {
    informer?.stop();
    await server?.close();
    configureKubeTransport(DEFAULT_KUBE_TRANSPORT);
    resetKubeTransport();
  });

  it('backs off, jittered and capped, on a watch ERROR other than 410 instead of reconnecting at once', async () => {
    server = await faultServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(event('ERROR', { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd is sad' }));
    });
    const before = kubeTransportStats.watchErrorEvents;
    const logger = recordingLogger();
    informer = new Informer(clientFor(server.url), {
      resource: configMaps,
      logger,
      retryDelayMs: 40,
      maxRetryDelayMs: 320,
    }).start();
    await vi.waitFor(() => expect(logger.warnings.length).toBeGreaterThanOrEqual(6), {
      timeout: 20_000,
      interval: 20,
    });
    const waits = logger.warnings.slice(0, 6).map((w) => w.retryInMs as number);
    // Delay k is jittered within [d/2, d] of d = 40·2^k, capped at 320.
    const ceilings = [40, 80, 160, 320, 320, 320];
    waits.forEach((w, k) => {
      expect(w).toBeLessThanOrEqual(ceilings[k]!);
      expect(w).toBeGreaterThanOrEqual(ceilings[k]! / 2);
    });
    expect(logger.warnings[0]!.error).toContain('etcd is sad');
    // One watch per failure: no hot loop between the backoffs, and no relist (the resourceVersion is still good).
    expect(server.watches.length).toBeLessThanOrEqual(logger.warnings.length + 1);
    expect(server.lists).toBe(1);
    expect(server.watches.every((u) => u.searchParams.get('resourceVersion') === '100')).toBe(true);
    expect(kubeTransportStats.watchErrorEvents - before).toBeGreaterThanOrEqual(6);
  });

  it('resets the backoff after a healthy stretch', async () => {
    server = await faultServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(event('BOOKMARK', { kind: 'ConfigMap', metadata: { resourceVersion: '100' } }));
      // Healthy for 300 ms (longer than healthyResetMs below), then an ERROR.
      setTimeout(() => res.end(event('ERROR', { kind: 'Status', code: 500, message: 'later' })), 300);
    });
    const logger = recordingLogger();
    informer = new Informer(clientFor(server.url), {
      resource: configMaps,
      logger,
      retryDelayMs: 40,
      healthyResetMs: 200,
    }).start();
    await vi.waitFor(() => expect(logger.warnings.length).toBeGreaterThanOrEqual(4), {
      timeout: 20_000,
      interval: 20,
    });
    for (const w of logger.warnings) expect(w.retryInMs as number).toBeLessThanOrEqual(40);
  });

  it('relists when a watch ERROR says 410 Gone', async () => {
    server = await faultServer((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (n === 1)
        res.end(
          event('ERROR', {
            kind: 'Status',
            code: 410,
            reason: 'Expired',
            message: 'too old resource version',
          }),
        );
      else res.write(event('ADDED', cm('after-relist', '101')));
    });
    informer = new Informer(clientFor(server.url), { resource: configMaps }).start();
    await vi.waitFor(() => expect(informer!.store.size).toBe(1), { timeout: 10_000 });
    expect(server.lists).toBe(2);
    expect(informer.failures).toBe(0);
  });

  it('counts a malformed line, restarts the watch and keeps going, with no uncaught exception', async () => {
    const before = kubeTransportStats.watchDecodeErrors;
    server = await faultServer((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (n === 1) res.write(event('ADDED', cm('first', '101')) + '{"type":"MODIFIED","object":{tru\n');
      else res.write(event('ADDED', cm('second', '102')));
    });
    const logger = recordingLogger();
    informer = new Informer(clientFor(server.url), {
      resource: configMaps,
      logger,
      retryDelayMs: 10,
    }).start();
    await vi.waitFor(() => expect(informer!.store.size).toBe(2), { timeout: 10_000 });
    expect(kubeTransportStats.watchDecodeErrors - before).toBe(1);
    expect(server.watches.length).toBe(2);
    // Resumed from the last event it understood, not from the start.
    expect(server.watches[1]!.searchParams.get('resourceVersion')).toBe('101');
    expect(String(logger.warnings[0]!.error)).toMatch(/not JSON \(\d+ bytes\)/);
    expect(String(logger.warnings[0]!.error)).not.toContain('tru');
  });

  it('asks the server to end each watch (timeoutSeconds) and drops a watch that goes silent', async () => {
    const before = kubeTransportStats.watchIdleTimeouts;
    server = await faultServer((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // The first watch sends headers and then nothing, like a connection lost without a FIN.
      if (n > 1) res.write(event('ADDED', cm('after-idle', '101')));
    });
    informer = new Informer(clientFor(server.url), {
      resource: configMaps,
      watchIdleTimeoutMs: 300,
      retryDelayMs: 10,
    }).start();
    await vi.waitFor(() => expect(informer!.store.size).toBe(1), { timeout: 10_000 });
    expect(kubeTransportStats.watchIdleTimeouts - before).toBe(1);
    expect(Number(server.watches[0]!.searchParams.get('timeoutSeconds'))).toBeGreaterThanOrEqual(300);
  });

  it('times out a request that gets no answer, and one whose body stalls', async () => {
    const before = kubeTransportStats.requestTimeouts;
    server = await faultServer(
      () => {},
      (req, res) => {
        if (req.url?.includes('stall')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          // Bytes keep trickling (so the socket is never idle) but the body never ends.
          const t = setInterval(() => res.write(' '), 50);
          res.on('close', () => clearInterval(t));
        }
        // Otherwise: never answer at all.
      },
    );
    const client = clientFor(server.url);
    await expect(
      client.request({ path: '/api/v1/namespaces/ns/configmaps/hung', timeoutMs: 300 }),
    ).rejects.toThrow(/timed out/);
    await expect(
      client.request({ path: '/api/v1/namespaces/ns/configmaps/stall', timeoutMs: 300 }),
    ).rejects.toThrow(/timed out after 300 ms/);
    expect(kubeTransportStats.requestTimeouts - before).toBeGreaterThanOrEqual(2);
  });
});

describe('client-side rate limit with two lanes (loopback server)', () => {
  afterEach(() => {
    configureKubeTransport(DEFAULT_KUBE_TRANSPORT);
    resetKubeTransport();
  });

  it('lets a user-visible request overtake a backlog of lists', async () => {
    configureKubeTransport({ qps: 20, burst: 1 });
    resetKubeTransport();
    const seen: string[] = [];
    const server = await faultServer(
      () => {},
      (req, res) => {
        seen.push(req.url!.split('?')[0]!);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"items":[],"metadata":{}}');
      },
    );
    try {
      const client = clientFor(server.url);
      // A cold start's backlog: ten lists (low lane by default).
      const lists = Array.from({ length: 10 }, (_, i) =>
        client.request({ path: `/api/v1/namespaces/n${i}/configmaps` }),
      );
      // A manual sync's request, marked by its caller.
      const sync = runWithKubePriority('high', () =>
        client.request({ path: '/api/v1/namespaces/app/configmaps' }),
      );
      await Promise.all([...lists, sync]);
      const at = seen.indexOf('/api/v1/namespaces/app/configmaps');
      // The burst lets the first list through at once; the sync takes the very next token.
      expect(at).toBeLessThanOrEqual(2);
      expect(seen.length).toBe(11);
      expect(client.transport!.limiter.waited.low).toBeGreaterThanOrEqual(8);
    } finally {
      await server.close();
    }
  });
});
