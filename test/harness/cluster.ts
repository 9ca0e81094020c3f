import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { inject } from 'vitest';

const run = promisify(execFile);

/** A KubeConfig for the suite's cluster (admin credentials). */
export function testKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  return kc;
}

/** Runs the suite's kubectl against the suite's cluster; rejects with stderr on failure. */
export async function kubectl(args: string[], opts: { input?: string } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      inject('kubectl'),
      ['--kubeconfig', inject('kubeconfig'), ...args],
      { maxBuffer: 1 << 24 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolvePromise(stdout),
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** A unique lowercase name with the given prefix, so parallel tests never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Creates a namespace of the test's own; the returned function deletes it (without waiting). */
export async function createTestNamespace(
  prefix: string,
): Promise<{ name: string; cleanup: () => Promise<void> }> {
  const name = uniqueName(prefix);
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name, labels: { 'mooring.test/owner': 'e2e' } } } });
  return {
    name,
    cleanup: async () => {
      await core.deleteNamespace({ name }).catch(() => {});
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails with the last state. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

export { run as execFileAsync };
