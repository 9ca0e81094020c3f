import { describe, expect, it } from 'vitest';
import { compileExpr } from './expr.js';

const app = {
  metadata: { name: 'guestbook' },
  status: {
    sync: { status: 'Synced', revision: 'abc123' },
    health: { status: 'Degraded' },
    operationState: { phase: 'Failed', retryCount: 2 },
  },
};
const ev = (src: string, vars: Record<string, unknown> = { app }) => compileExpr(src).evaluate(vars);

describe('compileExpr', () => {
  it('evaluates the conditions of the built-in triggers', () => {
    expect(ev("app.status.operationState.phase in ['Error', 'Failed']")).toBe(true);
    expect(ev("app.status.health.status == 'Degraded'")).toBe(true);
    expect(ev("app.status.sync.status == 'Unknown'")).toBe(false);
    expect(ev("app.status.operationState != nil and app.status.operationState.phase in ['Running']")).toBe(
      false,
    );
    expect(
      ev("app.status.operationState.phase in ['Succeeded'] and app.status.health.status == 'Healthy'"),
    ).toBe(false);
  });

  it('reads through missing fields as nil without throwing', () => {
    expect(ev("app.status.operationState.phase in ['Failed']", { app: { status: {} } })).toBe(false);
    expect(ev('app.status.operationState == nil', { app: { status: {} } })).toBe(true);
    expect(ev('app?.status?.nope?.deeper')).toBe(undefined);
    expect(ev('app.metadata.deletionTimestamp != nil')).toBe(false);
  });

  it('supports the operators', () => {
    expect(ev('not (1 == 2) && !false || false')).toBe(true);
    expect(ev('app.status.operationState.retryCount > 1 and app.status.operationState.retryCount < 3')).toBe(
      true,
    );
    expect(ev("'b' >= 'a' and 2 <= 2")).toBe(true);
    expect(ev("'x' not in ['a', 'b']")).toBe(true);
    expect(ev("'sync' in app.status")).toBe(true);
    expect(ev("app['metadata'].name")).toBe('guestbook');
    expect(ev('nil < 3')).toBe(false);
    expect(ev('"dq" == \'dq\'')).toBe(true);
  });

  it('reports a syntax error with its position', () => {
    expect(() => compileExpr("app.status == 'x' and")).toThrow(
      'expression "app.status == \'x\' and": expected a value, found end of input at position 22',
    );
    expect(() => compileExpr('app.status ==')).toThrow(/UserError|expected a value/);
    expect(() => compileExpr("'open")).toThrow('unterminated string at position 1');
    expect(() => compileExpr('a ; b')).toThrow('unexpected character ";" at position 3');
    expect(() => compileExpr('a b')).toThrow("expected end of expression, found 'b' at position 3");
  });

  it('refuses prototype access and code-execution attempts', () => {
    expect(() => compileExpr('app.constructor')).toThrow("field 'constructor' is not allowed");
    expect(() => compileExpr('app.__proto__.polluted')).toThrow("field '__proto__' is not allowed");
    expect(() => compileExpr('constructor')).toThrow("name 'constructor' is not allowed");
    expect(() => compileExpr("app.constructor('return process')()")).toThrow(/not allowed/);
    // Through brackets the key is computed, so it is refused at evaluation: it reads as nil.
    expect(ev("app['__proto__']")).toBe(undefined);
    expect(ev("app['constructor']")).toBe(undefined);
    expect(ev("app.metadata.name['length']")).toBe(undefined);
    expect(ev("app['toString']")).toBe(undefined);
    expect(ev('process', { app })).toBe(undefined);
    // Class instances (not plain objects) are opaque.
    expect(ev('d.x', { d: Object.assign(new Date(), { x: 1 }) })).toBe(undefined);
    expect(({} as Record<string, unknown>).polluted).toBe(undefined);
  });

  it('refuses very long or deeply nested input', () => {
    expect(() => compileExpr('a == 1 or '.repeat(1000) + 'true')).toThrow(
      'expression is 10004 characters, the limit is 4096',
    );
    expect(() => compileExpr('('.repeat(200) + '1' + ')'.repeat(200))).toThrow('nested too deeply');
    expect(() => compileExpr('!'.repeat(200) + 'true')).toThrow('nested too deeply');
    expect(ev('!'.repeat(10) + 'true')).toBe(true);
  });
});
