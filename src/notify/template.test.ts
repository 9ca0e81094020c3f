import { describe, expect, it } from 'vitest';
import { compileTemplate } from './template.js';

const app = {
  metadata: { name: 'guestbook', labels: { team: 'a', env: 'prod' } },
  status: {
    sync: { status: 'Synced', revision: 'abc123' },
    health: { status: 'Healthy' },
    resources: [
      { kind: 'Deployment', name: 'web', status: 'Synced' },
      { kind: 'Service', name: 'web', status: 'OutOfSync' },
    ],
  },
};
const render = (src: string, data: Record<string, unknown> = { app }, escape?: 'json') =>
  compileTemplate(src).render(data, { escape });

describe('compileTemplate', () => {
  it('substitutes fields', () => {
    expect(render('App {{.app.metadata.name}} at {{ .app.status.sync.revision }}.')).toBe(
      'App guestbook at abc123.',
    );
    expect(render('{{.app.nope.deeper}}')).toBe('<no value>');
    expect(render('{{$.app.metadata.name}}')).toBe('guestbook');
    expect(render('{{.t}}', { t: new Date('2026-01-02T03:04:05Z') })).toBe('2026-01-02T03:04:05.000Z');
  });

  it('supports if / else if / else with comparison functions', () => {
    const t = compileTemplate(
      '{{if eq .app.status.health.status "Healthy"}}ok{{else if eq .app.status.health.status "Degraded"}}bad{{else}}?{{end}}',
    );
    expect(t.render({ app })).toBe('ok');
    expect(t.render({ app: { status: { health: { status: 'Degraded' } } } })).toBe('bad');
    expect(t.render({ app: {} })).toBe('?');
    expect(render('{{if and (ne .app.status.sync.status "OutOfSync") (not .app.missing)}}y{{end}}')).toBe(
      'y',
    );
    expect(render('{{if eq .serviceType "slack" "teams"}}chat{{end}}', { serviceType: 'teams' })).toBe(
      'chat',
    );
  });

  it('ranges over lists and maps, with variables and trim markers', () => {
    expect(render('{{range .app.status.resources}}{{.kind}}/{{.name}}={{.status}} {{end}}')).toBe(
      'Deployment/web=Synced Service/web=OutOfSync ',
    );
    expect(
      render('{{range $i, $r := .app.status.resources}}{{$i}}:{{$r.kind}}({{$.app.metadata.name}}) {{end}}'),
    ).toBe('0:Deployment(guestbook) 1:Service(guestbook) ');
    expect(render('{{range $k, $v := .app.metadata.labels}}{{$k}}={{$v}};{{end}}')).toBe('env=prod;team=a;');
    expect(render('{{range .app.none}}x{{else}}empty{{end}}')).toBe('empty');
    expect(render('a  {{- "b" -}}  c {{/* a comment */}}d')).toBe('abc d');
    expect(render('{{with .app.metadata}}{{.name}}{{end}}')).toBe('guestbook');
  });

  it('has pipes and a few helpers', () => {
    expect(render('{{.app.metadata.name | upper}}')).toBe('GUESTBOOK');
    expect(render('{{printf "%s@%s %d%%" .app.metadata.name .app.status.sync.revision 5}}')).toBe(
      'guestbook@abc123 5%',
    );
    expect(render('{{len .app.status.resources}} {{index .app.metadata.labels "team"}}')).toBe('2 a');
    expect(render('{{.app.nope | default "none"}}')).toBe('none');
    expect(render('{{.app.status.sync.revision | trunc 3}}|{{trunc -2 "abcdef"}}')).toBe('abc|ef');
    expect(render('{{toJson .app.metadata.labels}}')).toBe('{"team":"a","env":"prod"}');
  });

  it('escapes values for JSON, but not toJson output', () => {
    const evil = { app: { metadata: { name: 'x", "admin": true, "y": "\n' } } };
    const body = render('{"name": "{{.app.metadata.name}}", "meta": {{toJson .app.metadata}}}', evil, 'json');
    expect(JSON.parse(body)).toEqual({ name: evil.app.metadata.name, meta: evil.app.metadata });
    expect(render('{{.app.metadata.name}}', evil)).toBe(evil.app.metadata.name);
  });

  it('reports clear errors', () => {
    expect(() => compileTemplate('hi\n{{exec "rm"}}')).toThrow('template: line 2: unknown function "exec"');
    expect(() => compileTemplate('{{if .a}}x')).toThrow('template: line 1: unclosed block: missing {{end}}');
    expect(() => compileTemplate('{{end}}')).toThrow('unexpected {{end}}');
    expect(() => compileTemplate('{{.app.constructor}}')).toThrow('field "constructor" is not allowed');
    expect(() => compileTemplate('{{.a .b}}')).toThrow('only a function can take arguments');
    expect(() => compileTemplate('{{template "x"}}')).toThrow('{{template}} is not supported');
    expect(() => render('{{lt .app.metadata.name 3}}')).toThrow(
      'template: lt: cannot compare string with number',
    );
  });

  it('is harmless on hostile data', () => {
    expect(render('{{index .app "__proto__"}}|{{index .app.metadata.name "length"}}')).toBe(
      '<no value>|<no value>',
    );
    expect(() => compileTemplate('{{'.repeat(40000))).toThrow('longer than');
    // Inputs that make naive regex scanners quadratic stay fast.
    const start = Date.now();
    expect(() => compileTemplate('{{'.repeat(32000))).toThrow('line 1: unclosed action: missing "}}"');
    expect(() => compileTemplate('{{- '.repeat(16000))).toThrow('unclosed action');
    const spaces = ' '.repeat(30000);
    expect(compileTemplate(spaces + 'x {{- " y " -}}' + spaces).render({})).toBe(spaces + 'x y ');
    expect(Date.now() - start).toBeLessThan(1000);
    expect(() => compileTemplate('{{if 1}}'.repeat(40) + '{{end}}'.repeat(40))).toThrow('nested too deeply');
  });
});

describe('compileTemplate: a step budget for untrusted templates', () => {
  const items = Array.from({ length: 1000 }, (_, i) => ({ name: `r${i}` }));

  it('stops nested ranges over large lists with a clear error instead of stalling', () => {
    const nested =
      '{{range $a := .items}}{{range $b := $.items}}{{if eq $a.name $b.name}}={{end}}{{end}}{{end}}';
    expect(() => compileTemplate(nested).render({ items })).toThrow(
      'template takes more than 100000 steps (a range over a very large list, or ranges nested too deep?)',
    );
    // The same template over a short list renders.
    expect(compileTemplate(nested).render({ items: items.slice(0, 3) })).toBe('===');
  });

  it('charges a function for the length of the list it is given', () => {
    const joins = '{{range .items}}{{if eq (join "," $.big) ""}}x{{end}}{{end}}';
    const big = Array.from({ length: 10_000 }, () => 'a');
    expect(() => compileTemplate(joins).render({ items, big })).toThrow('takes more than 100000 steps');
  });

  it('keeps an explicit budget', () => {
    expect(() => compileTemplate('{{range .items}}.{{end}}', { maxSteps: 50 }).render({ items })).toThrow(
      'template takes more than 50 steps',
    );
  });
});

describe('compileTemplate: Argo CD time functions', () => {
  const timeData = async () => ({
    app: { status: { operationState: { startedAt: '2026-03-01T11:50:00Z' } } },
    time: (await import('./time-values.js')).TIME_NAMESPACE,
  });

  it('calls .time.Parse and formats the result, as Argo CD documents', async () => {
    // Argo CD, "Functions": "The time functions can be used in both notification templates and
    // triggers." Its example: {{ (call .time.Parse .app.status.operationState.startedAt).Local.Format "2006-01-02T15:04:05Z07:00" }}
    const t = compileTemplate(
      '{{ (call .time.Parse .app.status.operationState.startedAt).Local.Format "2006-01-02T15:04:05Z07:00" }}',
    );
    expect(t.render(await timeData())).toBe('2026-03-01T11:50:00Z');
    expect(
      compileTemplate('{{ (call .time.Parse .app.status.operationState.startedAt).Unix }}').render(
        await timeData(),
      ),
    ).toBe(String(Date.parse('2026-03-01T11:50:00Z') / 1000));
    expect(compileTemplate('{{ .time.Hour }}').render(await timeData())).toBe('1h0m0s');
  });

  it('reports a bad time or a wrong call as a clear error', async () => {
    const data = await timeData();
    expect(() => compileTemplate('{{ call .time.Parse "soon" }}').render(data)).toThrow(
      'template: call: cannot parse "soon" as RFC 3339',
    );
    expect(() => compileTemplate('{{ call .app "x" }}').render(data)).toThrow(
      'template: call: the first argument is not a function',
    );
    expect(() => compileTemplate('{{ (call .time.Now).Year }}').render(data)).toThrow(
      'template: a time has no member "Year"',
    );
    expect(() => compileTemplate('{{ (call .time.Now).Format "Jan 2" }}').render(data)).toThrow(
      'only the layouts time.RFC3339 and time.RFC3339Nano are supported',
    );
    expect(() => compileTemplate('{{ .app.Status "x" }}').render(data)).toThrow(
      '.app.Status is not a method',
    );
  });
});
