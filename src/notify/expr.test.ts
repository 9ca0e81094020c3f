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

describe('compileExpr: what Argo CD users write in triggers', () => {
  const NOW = Date.parse('2026-03-01T12:00:00Z');
  const at = (src: string, vars: Record<string, unknown> = { app: started('2026-03-01T11:50:00Z') }) =>
    compileExpr(src, { now: () => NOW }).evaluate(vars);
  function started(startedAt: string) {
    return { status: { operationState: { phase: 'Running', startedAt } } };
  }

  it('has time.Now(), time.Parse, Sub and the duration methods', () => {
    // Argo CD, "Functions": "time.Now() Time — Executes function built-in Golang time.Now function.
    // Returns an instance of Golang Time." and "time.Parse(val string) Time — Parses specified string
    // using RFC3339 layout. Returns an instance of Golang Time."
    const trigger = 'time.Now().Sub(time.Parse(app.status.operationState.startedAt)).Minutes() >= 5';
    expect(at(trigger)).toBe(true);
    expect(at(trigger, { app: started('2026-03-01T11:58:00Z') })).toBe(false);
    expect(at('time.Now().Sub(time.Parse(app.status.operationState.startedAt)).Seconds()')).toBe(600);
    expect(at("time.Parse('2026-03-01T13:00:00+01:00').Equal(time.Now())")).toBe(true);
    expect(at("time.Parse(time.RFC3339, '2026-03-01T11:00:00Z').Before(time.Now())")).toBe(true);
    expect(at("time.Parse('2026-03-01T11:00:00Z').Add(2 * time.Hour).After(time.Now())")).toBe(true);
    expect(at('time.Now().Unix()')).toBe(NOW / 1000);
    expect(at('time.Now().Format(time.RFC3339)')).toBe('2026-03-01T12:00:00Z');
  });

  it('has the duration constants and time.Duration, comparable with each other and with numbers', () => {
    // Argo CD, "Functions": "time.Minute = 60 * Second", "time.Hour = 60 * Minute".
    expect(at('time.Hour == 60 * time.Minute')).toBe(true);
    expect(at('time.Now().Sub(time.Parse(app.status.operationState.startedAt)) > 5 * time.Minute')).toBe(
      true,
    );
    expect(at('time.Duration(1500000000).Seconds()')).toBe(1.5);
    expect(at('(time.Hour + 90 * time.Second).String()')).toBe('1h1m30s');
    expect(at('time.Second / time.Millisecond')).toBe(1000);
    expect(at('-time.Minute < time.Duration(0)')).toBe(true);
  });

  it('has + on strings and numbers, arithmetic and len', () => {
    expect(at("'app-' + app.status.operationState.phase")).toBe('app-Running');
    expect(at('1 + 2 * 3 - 4 / 2')).toBe(5);
    expect(at('7 % 3')).toBe(1);
    expect(at("len('abc') + len(['a', 'b']) + len(app.status)")).toBe(6);
    expect(
      at("len(app.status.operationState.phase) == 7 and 'Run' + 'ning' == app.status.operationState.phase"),
    ).toBe(true);
  });

  it('reports a bad time, a type mismatch or an unknown member as one clear error, not a crash', () => {
    expect(() => at("time.Parse('yesterday')")).toThrow(
      'expression "time.Parse(\'yesterday\')": cannot parse "yesterday" as RFC 3339 (e.g. 2006-01-02T15:04:05Z) at position 11',
    );
    expect(() => at('time.Parse(app.status.nope)')).toThrow('expected an RFC 3339 timestamp string, got nil');
    expect(() => at("time.Parse('2026-02-30T00:00:00Z')")).toThrow('cannot parse');
    expect(() => at("'a' + 1")).toThrow('cannot apply + to string and number');
    expect(() => at('time.Now().Year()')).toThrow('a time has no member "Year"');
    expect(() => at('time.Exec')).toThrow('time has no member "Exec"');
    expect(() => at("app.status('x')")).toThrow('map is not a function at position 11');
    expect(() => at('len(3)')).toThrow('len: expected a string, list or map, got number');
    expect(() => at('1 % 0')).toThrow('integer divide by zero');
  });

  it('still has no eval: a variable shadows a builtin, functions are not reachable from data', () => {
    expect(at('time', { time: 'mine' })).toBe('mine');
    expect(at("app['constructor']")).toBe(undefined);
    expect(() => at("time.Now()['constructor']")).toThrow('a time has no member "constructor"');
    expect(() => at('time.Now.constructor')).toThrow(/not allowed/);
  });

  it('stops a condition that scans too much with a step budget error', () => {
    const big = { items: Array.from({ length: 50_000 }, (_, i) => i) };
    expect(() => compileExpr('-1 in app.items').evaluate({ app: big })).toThrow(
      'expression "-1 in app.items": stopped after 10000 evaluation steps',
    );
    expect(compileExpr('-1 in app.items', { maxSteps: 100_000 }).evaluate({ app: big })).toBe(false);
  });
});
