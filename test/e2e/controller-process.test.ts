import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { inject, describe, expect, it } from 'vitest';
import { uniqueName } from '../harness/cluster.js';

const bin = resolve(import.meta.dirname, '../../bin/mooring.js');

// `mooring controller` as a user runs it: JSON logs, probes, graceful shutdown on SIGTERM.
describe('mooring controller process', () => {
  it('serves /healthz and /readyz, logs JSON lines and stops cleanly on SIGTERM', async () => {
    const ns = uniqueName('mooring-proc');
    const child = spawn(
      process.execPath,
      [bin, 'controller', '--kubeconfig', inject('kubeconfig'), '--namespace', ns, '--port', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: Record<string, unknown>[] = [];
    let buffered = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!lines.some((l) => l.msg === 'controller started') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
      }
      const port = lines.find((l) => l.msg === 'serving probes')?.port;
      expect(port).toBeTypeOf('number');
      expect(lines.find((l) => l.msg === 'controller started')).toMatchObject({
        level: 'info',
        namespace: ns,
      });
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect([ready.status, await ready.text()]).toEqual([200, 'ok\n']);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM')).toBe(true);
  });

  it('says what is wrong in one line for a bad flag', async () => {
    const child = spawn(process.execPath, [bin, 'controller', '--poll-interval', 'soon'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toBe('mooring: invalid duration "soon": use a number with a unit, such as 30s, 3m or 1h\n');
  });
});
