import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../core/index.js';
import { diffObject, formatChanges, formatDiff, type ObjectDiff } from './index.js';
import { fixture } from './testkit.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Every secret value in the fixtures and tests, plaintext and base64 (with and without padding).
const SECRETS = [
  's3cr3t-Passw0rd',
  'czNjcjN0LVBhc3N3MHJk',
  'admin-user',
  'YWRtaW4tdXNlcg',
  'n3w-Passw0rd!',
  'bjN3LVBhc3N3MHJkIQ',
  'hunter2-token',
  Buffer.from('hunter2-token').toString('base64').replace(/=+$/, ''),
];
function expectNoSecrets(d: ObjectDiff): void {
  const outputs = [JSON.stringify(d), formatDiff(d), formatChanges(d.changes).join('\n')];
  for (const out of outputs) for (const s of SECRETS) expect(out).not.toContain(s);
}
const desired = () => fixture('secret-desired-stringdata');
const live = () => fixture('secret-live');

describe('Secrets', () => {
  it('stringData in Git equals the same value as data in the cluster', () => {
    const d = diffObject({ desired: desired(), live: live() });
    expect(d).toMatchObject({ modified: false, changes: [] });
    expect(d.desired!.data).toEqual({ password: '++++++++', username: '+++++++++' });
    expect(d.desired!.stringData).toBeUndefined();
    expect(d.live!.metadata.annotations).toEqual({
      'argocd.argoproj.io/tracking-id': 'myapp:/Secret:production/db-credentials',
    });
    expectNoSecrets(d);
    // With a dry-run result (the apiserver has already folded stringData) too.
    const predicted = live();
    const p = diffObject({ desired: desired(), live: live(), predicted });
    expect(p.changes).toEqual([]);
    expectNoSecrets(p);
  });

  it('a changed value shows different masks, and nothing of either value', () => {
    const changed = desired() as Obj;
    changed.stringData.password = 'n3w-Passw0rd!';
    const d = diffObject({ desired: changed as KubeObject, live: live() });
    // Masks are handed out in order: desired password, desired username, then live's old password.
    expect(d.changes).toEqual([{ path: 'data.password', live: '++++++++++', desired: '++++++++' }]);
    expect(formatChanges(d.changes)).toEqual(['data.password: "++++++++++" → "++++++++"']);
    expect(formatDiff(d)).toBe(
      [
        '--- live',
        '+++ desired',
        '@@ -1,6 +1,6 @@',
        ' apiVersion: v1',
        ' data:',
        '-  password: ++++++++++',
        '+  password: ++++++++',
        '   username: +++++++++',
        ' kind: Secret',
        ' metadata:',
        '',
      ].join('\n'),
    );
    expectNoSecrets(d);
  });

  it('a key added with kubectl edit is drift, masked', () => {
    const edited = live() as Obj;
    edited.data.token = Buffer.from('hunter2-token').toString('base64');
    edited.metadata.managedFields.push({
      manager: 'kubectl-edit',
      operation: 'Update',
      fieldsV1: { 'f:data': { 'f:token': {} } },
    });
    const d = diffObject({ desired: desired(), live: edited as KubeObject });
    expect(d.changes).toEqual([{ path: 'data.token', live: '++++++++++' }]);
    expectNoSecrets(d);
  });

  it('missing and extra Secrets are masked too', () => {
    const missing = diffObject({ desired: desired() });
    expect(missing.desired!.data).toEqual({ password: '++++++++', username: '+++++++++' });
    expectNoSecrets(missing);
    const extra = diffObject({ live: live() });
    expect(extra.live!.data).toEqual({ password: '++++++++', username: '+++++++++' });
    expectNoSecrets(extra);
  });
});
