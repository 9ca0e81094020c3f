import { describe, expect, it } from 'vitest';
import { UserError } from '../core/index.js';
import { evaluateJqPath } from './jq-eval.js';
import { parseJqPath } from './jq-path.js';

const deployment = {
  metadata: { annotations: { x: '1', 'a.b/c': '2' }, labels: { app: 'a' } },
  spec: {
    replicas: 3,
    template: {
      spec: {
        initContainers: [{ name: 'injected-init-container', image: 'i' }, { name: 'mine' }],
        containers: [
          { name: 'app', image: 'app:1' },
          { name: 'istio-proxy', image: 'proxy:1' },
          { name: 'vault-agent', image: 'vault:1' },
        ],
      },
    },
  },
};
const webhooks = {
  webhooks: [
    { name: 'a', clientConfig: { caBundle: 'AAA' } },
    { name: 'b', clientConfig: { service: {} } },
  ],
};

const paths = (doc: unknown, expr: string) => evaluateJqPath(doc, parseJqPath(expr));

describe('jq path expressions (Argo CD documented forms)', () => {
  it('follows fields', () => {
    expect(paths(deployment, '.spec.replicas')).toEqual([['spec', 'replicas']]);
    expect(paths(deployment, '.spec.missing')).toEqual([]);
  });
  it('accepts bracketed and quoted keys', () => {
    expect(paths(deployment, '.metadata.annotations["x"]')).toEqual([['metadata', 'annotations', 'x']]);
    expect(paths(deployment, '.metadata.annotations."a.b/c"')).toEqual([
      ['metadata', 'annotations', 'a.b/c'],
    ]);
    expect(paths(deployment, '.metadata.annotations["a.b/c"]')).toEqual([
      ['metadata', 'annotations', 'a.b/c'],
    ]);
  });
  it('selects list elements by content, then a field of them', () => {
    expect(paths(deployment, '.spec.template.spec.containers[] | select(.name == "app") | .image')).toEqual([
      ['spec', 'template', 'spec', 'containers', 0, 'image'],
    ]);
    expect(
      paths(deployment, '.spec.template.spec.initContainers[] | select(.name == "injected-init-container")'),
    ).toEqual([['spec', 'template', 'spec', 'initContainers', 0]]);
  });
  it('iterates with the optional marker, skipping elements without the field', () => {
    expect(paths(deployment, '.spec.template.spec.initContainers[]?')).toEqual([
      ['spec', 'template', 'spec', 'initContainers', 0],
      ['spec', 'template', 'spec', 'initContainers', 1],
    ]);
    expect(paths(webhooks, '.webhooks[]?.clientConfig.caBundle')).toEqual([
      ['webhooks', 0, 'clientConfig', 'caBundle'],
    ]);
    // Iterating what is not a list is "no match", with or without "?".
    expect(paths(deployment, '.spec.replicas[]')).toEqual([]);
  });
  it('accepts a trailing identity after a pipe', () => {
    expect(paths(deployment, '.spec.template.spec.initContainers[] | select(.name == "mine") | .')).toEqual([
      ['spec', 'template', 'spec', 'initContainers', 1],
    ]);
  });
  it('supports indices, map iteration, string tests and boolean operators', () => {
    expect(paths(deployment, '.spec.template.spec.containers[-1].image')).toEqual([
      ['spec', 'template', 'spec', 'containers', 2, 'image'],
    ]);
    expect(paths(deployment, '.metadata.labels[]')).toEqual([['metadata', 'labels', 'app']]);
    const c = (i: number) => ['spec', 'template', 'spec', 'containers', i];
    expect(
      paths(deployment, '.spec.template.spec.containers[] | select(.name | startswith("vault-"))'),
    ).toEqual([c(2)]);
    expect(paths(deployment, '.spec.template.spec.containers[] | select(.name | endswith("proxy"))')).toEqual(
      [c(1)],
    );
    expect(
      paths(deployment, '.spec.template.spec.containers[] | select(.image | contains(":1"))'),
    ).toHaveLength(3);
    expect(
      paths(
        deployment,
        '.spec.template.spec.containers[] | select(.name == "app" or .name == "istio-proxy")',
      ),
    ).toEqual([c(0), c(1)]);
    expect(
      paths(
        deployment,
        '.spec.template.spec.containers[] | select(.name != "app" and (.image == "vault:1"))',
      ),
    ).toEqual([c(2)]);
    expect(paths(deployment, '.spec.template.spec.containers[] | select(.name == "app" | not)')).toEqual([
      c(1),
      c(2),
    ]);
    expect(paths(deployment, '.spec.template.spec.containers[] | select(.missing == null)')).toHaveLength(3);
  });
});

describe('jq path expressions outside the subset', () => {
  it.each([
    ['', 'at position 0: expected "." but found the end'],
    ['spec.replicas', 'at position 0: a path starts with "." but found "spec"'],
    ['.', 'at position 0: the expression designates the whole object'],
    ['select(.a == 1)', 'at position 0: the expression designates the whole object'],
    ['..', 'at position 0: recursive descent ".." is not supported'],
    ['.spec.', 'at position 6: expected a field name after "." but found the end'],
    ['.a[1:2]', 'at position 4: unexpected character ":"'],
    ['.a | map(.b)', 'at position 5: unsupported function "map"'],
    [
      '.a[] | select(.b | test("x"))',
      'at position 17: expected "==", "!=" or "| startswith(...)" but found "|"',
    ],
    ['.a[] | select(.b[] == 1)', 'at position 16: "[]" is not supported inside select()'],
    [
      '.a[] | select(.b == foo)',
      'at position 20: expected a string, number, true, false or null but found "foo"',
    ],
    ['.a | length', 'at position 5: a path starts with "." but found "length"'],
    ['.a.labels.app-name', 'at position 13: unexpected character "-"'],
    ['.a | del(.b)', 'at position 5: unsupported function "del"'],
  ])('rejects %j', (src, where) => {
    let err: unknown;
    try {
      parseJqPath(src);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg.startsWith(`ignoreDifferences: invalid jqPathExpression ${JSON.stringify(src)} `)).toBe(true);
    if (where) expect(msg).toContain(` ${where} (supported: `);
  });
});
