// Controller replicas as separate processes for the replica e2e tests: start, find their /metrics port,
// read their shard metrics, kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { inject } from 'vitest';

const bin = resolve(import.meta.dirname, '../../../bin/mooring.js');

/** One `mooring controller --shard-by app` process. */
export interface Replica {
  id: string;
  child: ChildProcess;
  /** Resolves to the port of its /metrics once it serves. */
  port: Promise<number>;
  /** Its log lines so far (JSON), for failure messages. */
  logs: string[];
}

/** Starts a replica with the default lease timings (15 s lease, 10 s renew deadline, 2 s retry). */
export function startReplica(id: string, namespace: string, cacheDir: string): Replica {
  const child = spawn(
    process.execPath,
    [
      bin,
      'controller',
      '--kubeconfig',
      inject('kubeconfig'),
      '--namespace',
      namespace,
      '--port',
      '0',
      '--poll-interval',
      '3s',
      '--cache-dir',
      `${cacheDir}/${id}`,
      '--shard-by',
      'app',
      '--replica-id',
      id,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const logs: string[] = [];
  const port = new Promise<number>((resolvePort, reject) => {
    let buffered = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        logs.push(line);
        if (logs.length > 400) logs.shift();
        const m = /"msg":"serving probes".*"port":(\d+)/.exec(line);
        if (m) resolvePort(Number(m[1]));
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`replica ${id} exited (${code}): ${logs.slice(-20).join('\n')}`)),
    );
  });
  port.catch(() => {});
  return { id, child, port, logs };
}

/** The value of mooring_shard_apps on a replica's /metrics (undefined before it has a view). */
export async function shardApps(replica: Replica): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${await replica.port}/metrics`);
  const text = await res.text();
  const m = /^mooring_shard_apps\{replica="([^"]+)"\} (\d+)/m.exec(text);
  return m ? Number(m[2]) : undefined;
}

/** Kills a replica with a signal and waits for it to exit. */
export async function kill(replica: Replica, signal: NodeJS.Signals): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const exited = new Promise((r) => replica.child.once('exit', r));
  replica.child.kill(signal);
  await exited;
}
