import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { keepIgnoredFields } from './respect-ignore.js';

const deployment = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'prod' },
  spec,
});

describe('keepIgnoredFields (RespectIgnoreDifferences=true)', () => {
  it('keeps the live value of an ignored field and applies the rest from Git', () => {
    const desired = deployment({
      replicas: 1,
      template: { spec: { containers: [{ name: 'a', image: 'a:2' }] } },
    });
    const live = deployment({
      replicas: 7,
      template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } },
    });
    const out = keepIgnoredFields(desired, live, [
      { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
    ]);
    expect(out.spec).toEqual({
      replicas: 7,
      template: { spec: { containers: [{ name: 'a', image: 'a:2' }] } },
    });
    expect((desired.spec as { replicas: number }).replicas).toBe(1);
  });

  it('drops an ignored field the live object does not have, and keeps list elements matched by jq', () => {
    const desired = deployment({
      replicas: 1,
      template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } },
    });
    const live = deployment({
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'app:1' },
            { name: 'sidecar', image: 'proxy:1' },
          ],
        },
      },
    });
    const out = keepIgnoredFields(desired, live, [
      {
        kind: 'Deployment',
        jsonPointers: ['/spec/replicas'],
        jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "sidecar")'],
      },
    ]);
    expect(out.spec).toEqual({
      template: {
        spec: {
          containers: [
            { name: 'app', image: 'app:2' },
            { name: 'sidecar', image: 'proxy:1' },
          ],
        },
      },
    });
  });

  it('leaves objects no rule matches untouched', () => {
    const desired = deployment({ replicas: 1 });
    expect(
      keepIgnoredFields(desired, deployment({ replicas: 3 }), [
        { kind: 'StatefulSet', jsonPointers: ['/spec/replicas'] },
      ]),
    ).toBe(desired);
  });
});
