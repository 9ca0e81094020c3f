import { describe, expect, it } from 'vitest';
import { ownedFields, parseFieldsV1, resolveFieldPath, type FieldSeg } from './managed-fields.js';
import { fixture } from './testkit.js';

const f = (name: string): FieldSeg => ({ kind: 'field', name });

describe('parseFieldsV1', () => {
  it('reads fields, keyed and valued list elements, indices and "."', () => {
    const owned = parseFieldsV1({
      'f:metadata': {
        'f:labels': { '.': {}, 'f:team': {} },
        'f:finalizers': { '.': {}, 'v:"example.com/x"': {} },
      },
      'f:spec': {
        'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {} } },
        'f:list': { 'i:2': {} },
        bogus: {},
        'k:not-json': {},
      },
    });
    expect(owned).toEqual([
      [f('metadata'), f('labels'), f('team')],
      [f('metadata'), f('finalizers'), { kind: 'value', value: 'example.com/x' }],
      [f('spec'), f('ports'), { kind: 'key', key: { port: 80, protocol: 'TCP' } }],
      [f('spec'), f('ports'), { kind: 'key', key: { port: 80, protocol: 'TCP' } }, f('port')],
      [f('spec'), f('list'), { kind: 'index', index: 2 }],
    ]);
  });
});

describe('ownedFields', () => {
  it('lists every manager, without the status subresource', () => {
    const owners = ownedFields(fixture('deployment-live-kubectl-scale'));
    expect([...new Set(owners.map((o) => `${o.manager}/${o.operation}`))]).toEqual([
      'mooring/Apply',
      'kube-controller-manager/Update',
      'kubectl/Update',
    ]);
    expect(owners.filter((o) => o.manager === 'kubectl').map((o) => o.path)).toEqual([
      [f('spec'), f('replicas')],
    ]);
  });
});

describe('resolveFieldPath', () => {
  const live = {
    spec: {
      ports: [
        { port: 443, protocol: 'TCP' },
        { port: 80, protocol: 'TCP', name: 'http' },
      ],
      fin: ['a', 'b'],
    },
  };
  const port80 = [
    f('spec'),
    f('ports'),
    { kind: 'key', key: { port: 80, protocol: 'TCP' } } as FieldSeg,
    f('name'),
  ];
  it('finds list elements by key and by value', () => {
    expect(resolveFieldPath(live, port80)).toEqual({
      path: ['spec', 'ports', 1, 'name'],
      resolved: 4,
      complete: true,
    });
    expect(resolveFieldPath(live, [f('spec'), f('fin'), { kind: 'value', value: 'b' }]).path).toEqual([
      'spec',
      'fin',
      1,
    ]);
  });
  it('says how far it got when the path stops existing', () => {
    expect(resolveFieldPath(live, [f('spec'), f('nope'), f('x')])).toEqual({
      path: ['spec'],
      resolved: 1,
      complete: false,
    });
  });
  it('lets a manifest omit a defaulted key field only when lenient', () => {
    const manifest = { spec: { ports: [{ port: 80, name: 'http' }] } };
    expect(resolveFieldPath(manifest, port80).complete).toBe(false);
    expect(resolveFieldPath(manifest, port80, true).path).toEqual(['spec', 'ports', 0, 'name']);
  });
});
