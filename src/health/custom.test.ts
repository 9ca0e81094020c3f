import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { customHealth } from './custom.js';
import { assessHealth } from './index.js';
import { loadLuaRuntime, type LuaRuntime } from './lua.js';

let lua: LuaRuntime;
beforeAll(async () => {
  lua = await loadLuaRuntime();
});

// Argo CD's documented opt-in app-of-apps health (operator manual, "Resource Health", Argocd App).
const APPLICATION_HEALTH = `
hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs`;

const child = (health?: { status: string; message?: string }): KubeObject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'child', namespace: 'argocd' },
  status: health ? { health } : {},
});

describe('customHealth', () => {
  it('gives a child Application its own health only when the argoproj.io_Application check is configured', () => {
    const override = customHealth(
      [{ group: 'argoproj.io', kind: 'Application', script: APPLICATION_HEALTH }],
      lua,
    );
    expect(assessHealth(child({ status: 'Degraded', message: 'pod crashed' }))).toBeUndefined();
    expect(assessHealth(child({ status: 'Degraded', message: 'pod crashed' }), { override })).toEqual({
      status: 'Degraded',
      message: 'pod crashed',
    });
    expect(assessHealth(child(), { override })).toEqual({ status: 'Progressing' });
  });

  it('prefers the users check over a built-in one, matches globs, and leaves other kinds alone', () => {
    const override = customHealth(
      [
        { group: 'apps', kind: 'Deployment', script: 'return {status="Suspended", message="custom"}' },
        { group: '*.crossplane.io', kind: '*', script: 'return {status="Degraded"}' },
      ],
      lua,
    );
    const deployment: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } };
    expect(assessHealth(deployment, { override })).toEqual({ status: 'Suspended', message: 'custom' });
    const bucket: KubeObject = {
      apiVersion: 's3.aws.crossplane.io/v1',
      kind: 'Bucket',
      metadata: { name: 'b' },
    };
    expect(override(bucket)).toEqual({ status: 'Degraded' });
    expect(override({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } })).toBeUndefined();
  });

  it('does not re-run a script that ran out of time for a minute, answering its last result', () => {
    let now = 0;
    let runs = 0;
    const counting = { health: (...args: Parameters<LuaRuntime['health']>) => (runs++, lua.health(...args)) };
    const override = customHealth(
      [{ group: 'x.io', kind: 'Loop', script: 'while true do end' }],
      counting,
      { timeoutMs: 50 },
      () => now,
    );
    const obj: KubeObject = { apiVersion: 'x.io/v1', kind: 'Loop', metadata: { name: 'l' } };
    const first = override(obj);
    expect(first).toEqual({
      status: 'Unknown',
      message: 'health script failed: it ran longer than 50 ms and was stopped',
    });
    for (let i = 0; i < 20; i++) expect(override(obj)).toEqual(first);
    expect(runs).toBe(1);
    now = 61_000;
    expect(override(obj)).toEqual(first);
    expect(runs).toBe(2);
  });
});
