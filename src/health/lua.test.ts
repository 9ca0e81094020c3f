import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { loadLuaRuntime, type LuaRuntime } from './lua.js';

let lua: LuaRuntime;
beforeAll(async () => {
  lua = await loadLuaRuntime();
});

const rollout: KubeObject = {
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name: 'w', namespace: 'ns' },
  status: { conditions: [{ type: 'Ready', status: 'False', message: 'backend unreachable' }] },
};

// The shape of Argo CD's documented cert-manager example: conditions read with ipairs.
const CONDITIONS_SCRIPT = `
hs = {}
if obj.status ~= nil and obj.status.conditions ~= nil then
  for i, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" and condition.status == "False" then
      hs.status = "Degraded"
      hs.message = condition.message
      return hs
    end
  end
end
hs.status = "Healthy"
return hs`;

describe('Lua health scripts', () => {
  it('read obj as Argo CD passes it (arrays 1-based for ipairs) and return its status and message', () => {
    expect(lua.health(CONDITIONS_SCRIPT, rollout)).toEqual({
      status: 'Degraded',
      message: 'backend unreachable',
    });
    expect(lua.health(CONDITIONS_SCRIPT, { ...rollout, status: {} })).toEqual({ status: 'Healthy' });
    expect(
      lua.health('return {status="Progressing", message="#" .. #obj.status.conditions}', rollout),
    ).toEqual({ status: 'Progressing', message: '#1' });
  });

  it('reads JSON nulls as nil', () => {
    const withNulls = {
      ...rollout,
      metadata: { ...rollout.metadata, labels: null, annotations: { a: null } },
      status: { conditions: [null, { type: 'Ready', status: 'False', message: 'after a null' }] },
    } as unknown as KubeObject;
    expect(
      lua.health(
        'return {status="Healthy", message=tostring(obj.metadata.labels == nil) .. " " .. obj.status.conditions[1].message}',
        withNulls,
      ),
    ).toEqual({ status: 'Healthy', message: 'true after a null' });
  });

  it('keeps Lua 5.1 helpers Argo CD scripts use (unpack)', () => {
    expect(lua.health('local a, b = unpack({"Healthy", "x"}) return {status=a, message=b}', rollout)).toEqual(
      {
        status: 'Healthy',
        message: 'x',
      },
    );
  });

  it.each([
    ['os.execute', 'os.execute("touch /tmp/mooring-pwned")'],
    ['io.open', 'io.open("/etc/passwd")'],
    ['require', 'require("os")'],
    ['load', 'load("return 1")()'],
    ['loadstring', 'loadstring("return 1")()'],
    ['dofile', 'dofile("/etc/passwd")'],
    ['loadfile', 'loadfile("/etc/passwd")'],
    ['debug', 'debug.getinfo(1)'],
    ['package', 'package.loadlib("x", "y")'],
    ['string.dump', 'string.dump(function() end)'],
  ])('refuses %s: the resource is Unknown with the Lua error', (_name, code) => {
    const h = lua.health(`${code}\nreturn {status="Healthy"}`, rollout);
    expect(h.status).toBe('Unknown');
    expect(h.message).toMatch(/^health script failed: .*attempt to (call|index) a nil value/);
  });

  it('stops an infinite loop after the time budget with a message saying so', () => {
    const h = lua.health('while true do end', rollout, { timeoutMs: 100 });
    expect(h).toEqual({
      status: 'Unknown',
      message: 'health script failed: it ran longer than 100 ms and was stopped',
    });
  });

  it('stops string.rep and concatenation bombs at the memory cap', () => {
    expect(lua.health('local s = string.rep("x", 1e9) return {status="Healthy"}', rollout)).toEqual({
      status: 'Unknown',
      message: 'health script failed: it used more than 16 MiB and was stopped',
    });
    const doubling = 'local s = "x" for i = 1, 40 do s = s .. s end return {status="Healthy"}';
    expect(lua.health(doubling, rollout, { memoryBytes: 4 * 1024 * 1024 }).message).toBe(
      'health script failed: it used more than 4 MiB and was stopped',
    );
    const table = 'local t = {} for i = 1, 1e8 do t[i] = i end return {status="Healthy"}';
    expect(lua.health(table, rollout).status).toBe('Unknown');
  });

  it('keeps no state from one call to the next', () => {
    expect(lua.health('leaked = "Degraded" return {status="Healthy"}', rollout)).toEqual({
      status: 'Healthy',
    });
    expect(lua.health('return {status=leaked or "Healthy"}', rollout)).toEqual({ status: 'Healthy' });
  });

  it('gives Unknown for syntax errors, errors, and results that are not a health table', () => {
    expect(lua.health('hs = {', rollout).message).toMatch(/^health script failed: \[string .*\]:1: /);
    expect(lua.health('error("custom failure")', rollout).message).toMatch(/custom failure$/);
    expect(lua.health('return 42', rollout)).toEqual({
      status: 'Unknown',
      message: 'health script did not return a table with a status',
    });
    expect(lua.health('return {status="Great"}', rollout)).toEqual({
      status: 'Unknown',
      message:
        'health script returned an invalid status "Great"; want one of Healthy, Progressing, Degraded, Suspended, Missing, Unknown',
    });
  });

  it('does not change the object it was given', () => {
    const obj = structuredClone(rollout);
    lua.health('obj.status.conditions = nil obj.metadata.name = "x" return {status="Healthy"}', obj);
    expect(obj).toEqual(rollout);
  });
});
