import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../core/index.js';
import {
  each,
  evaluate,
  gateExpression,
  goTruthy,
  optionalBlob,
  renderObjects,
  renderTemplates,
  valueMarker,
  when,
  type Part,
  type RenderContext,
} from './template.js';

// A toy part using every helper, rendered both ways.
const part: Part = {
  file: 'toy',
  gate: { truthy: 'enabled' },
  objects: (ctx: RenderContext) => {
    const v = ctx.values as { name: string; port: number };
    return [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `toy-${v.name}`, ...optionalBlob(ctx, 'annotations', 'annotations') },
        data: {
          port: v.port as unknown as string,
          ratio: `100%-${v.name}`,
          list: [
            ...when(ctx, { eq: ['mode', 'a'] }, ['only-a']),
            ...each(ctx, 'hosts', (h) => [`host-${h}`]),
          ],
        },
      } as KubeObject,
    ];
  },
};
const symbolic = {
  enabled: valueMarker('enabled'),
  name: valueMarker('name'),
  port: valueMarker('port'),
  annotations: valueMarker('annotations'),
};

describe('install templates', () => {
  it('uses Go template truth for gates (empty lists and maps are false)', () => {
    expect([[], {}, '', 0, null, false].map(goTruthy)).toEqual([false, false, false, false, false, false]);
    expect([['a'], { a: 1 }, 'x', 1, true].map(goTruthy)).toEqual([true, true, true, true, true]);
    const values = { mode: 'b', replicas: 2, list: [] };
    expect(evaluate({ or: [{ eq: ['mode', 'a'] }, { gt: ['replicas', 1] }] }, values)).toBe(true);
    expect(evaluate({ not: { oneOf: ['mode', ['a', 'b']] } }, values)).toBe(false);
    expect(evaluate({ truthy: 'list' }, values)).toBe(false);
  });

  it('writes gates as Helm expressions', () => {
    expect(
      gateExpression({ or: [{ eq: ['mode', 'a'] }, { not: { gt: ['replicas', 1] } }] }, { mode: '$.M' }),
    ).toBe('(or (eq $.M "a") (not (gt (int $.Values.replicas) 1)))');
  });

  it('renders concrete objects: gates decide, lists repeat, empty blobs leave their key out', () => {
    const objs = renderObjects([part], {
      enabled: true,
      name: 'x',
      port: 80,
      mode: 'a',
      hosts: ['h1', 'h2'],
      annotations: {},
    });
    expect(objs).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'toy-x' },
        data: { port: 80, ratio: '100%-x', list: ['only-a', 'host-h1', 'host-h2'] },
      },
    ]);
    expect(renderObjects([part], { enabled: false })).toEqual([]);
  });

  it('renders the same part as a Helm template', () => {
    const files = renderTemplates([part], [], symbolic, {}, new Set(['port']), '');
    expect(files.get('toy')).toBe(
      [
        '{{- if $.Values.enabled }}',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: {{ printf "toy-%v" $.Values.name | quote }}',
        '{{- with $.Values.annotations }}',
        '  annotations:',
        '{{- toYaml . | nindent 4 }}',
        '{{- end }}',
        'data:',
        '  port: {{ $.Values.port }}',
        '  ratio: {{ printf "100%%-%v" $.Values.name | quote }}',
        '  list:',
        '{{- if (eq $.Values.mode "a") }}',
        '    - only-a',
        '{{- end }}',
        '{{- range $item := $.Values.hosts }}',
        '    - {{ printf "host-%v" $item | quote }}',
        '{{- end }}',
        '',
        '{{- end }}',
        '',
      ].join('\n'),
    );
  });
});
