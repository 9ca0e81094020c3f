import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureNames, loadFixture } from './fixture.js';
import type { KubeObject } from '../core/index.js';
import { assessHealth, HEALTH_CHECKS, healthKey, NO_HEALTH_KINDS } from './index.js';

describe('assessHealth dispatch', () => {
  it('keys checks by group and kind, whatever the version', () => {
    const deployment = loadFixture('deployment-unavailable');
    expect(healthKey(deployment)).toBe('apps/Deployment');
    expect(healthKey(loadFixture('pod-pending'))).toBe('/Pod');
    expect(assessHealth({ ...deployment, apiVersion: 'apps/v1beta2' })).toEqual(assessHealth(deployment));
  });

  it('uses the Ingress check for the old extensions group too', () => {
    const ingress = { ...loadFixture('ingress-pending'), apiVersion: 'extensions/v1beta1' };
    expect(assessHealth(ingress)).toStrictEqual({ status: 'Progressing' });
  });

  it('does not match a kind of the same name in another group', () => {
    // A CRD kind "Deployment" in some other group gets the generic check: its stale
    // observedGeneration, not the apps check's "paused".
    const other = { ...loadFixture('deployment-paused'), apiVersion: 'example.io/v1' };
    expect(assessHealth(other)).toStrictEqual({
      status: 'Progressing',
      message: 'Waiting for the controller to observe the latest generation',
    });
  });

  it('reports a check that fails on malformed data as Unknown instead of throwing', () => {
    const result = assessHealth(loadFixture('hpa-v1-annotation-invalid'));
    expect(result?.status).toBe('Unknown');
    expect(result?.message).toMatch(/^failed to parse autoscaling\.alpha\.kubernetes\.io\/conditions: /);
  });

  it('checks every kind of a Crossplane provider group, and no look-alike group', () => {
    const bucket = loadFixture('crossplane-managed-sync-error');
    expect(assessHealth({ ...bucket, apiVersion: 'ec2.aws.crossplane.io/v1alpha1' })?.status).toBe(
      'Degraded',
    );
    expect(assessHealth({ ...bucket, apiVersion: 'rds.aws.upbound.io/v1beta1' })?.status).toBe('Degraded');
    // Same conditions in an unrelated group: the generic check reads only Ready, which is True.
    expect(assessHealth({ ...bucket, apiVersion: 'notcrossplane.io/v1' })?.status).toBe('Healthy');
  });

  it("prefers a user's override to the built-in check, and falls back when it has no answer", () => {
    const deployment = loadFixture('deployment-unavailable');
    const seen: string[] = [];
    const override = (obj: KubeObject) => {
      seen.push(healthKey(obj));
      return obj.kind === 'Deployment' ? { status: 'Healthy' as const, message: 'custom' } : undefined;
    };
    expect(assessHealth(deployment, { override })).toStrictEqual({ status: 'Healthy', message: 'custom' });
    expect(assessHealth(loadFixture('pod-pending'), { override })).toStrictEqual(
      assessHealth(loadFixture('pod-pending')),
    );
    // Even kinds without a built-in health can be given one.
    const configMap = loadFixture('configmap-plain');
    expect(assessHealth(configMap, { override: () => ({ status: 'Degraded' }) })).toStrictEqual({
      status: 'Degraded',
    });
    expect(seen).toEqual(['apps/Deployment', '/Pod']);
  });

  it('reports an override that throws as Unknown with its error, and deletion before any override', () => {
    const override = () => {
      throw new Error('attempt to index a nil value (field status)');
    };
    expect(assessHealth(loadFixture('deployment-healthy'), { override })).toStrictEqual({
      status: 'Unknown',
      message: 'attempt to index a nil value (field status)',
    });
    expect(assessHealth(loadFixture('deployment-deleting'), { override })).toStrictEqual({
      status: 'Progressing',
      message: 'Pending deletion',
    });
  });

  it('never registers a kind both with a check and as having no health', () => {
    expect([...HEALTH_CHECKS.keys()].filter((k) => NO_HEALTH_KINDS.has(k))).toEqual([]);
  });
});

describe('fixtures', () => {
  const names = fixtureNames();

  it('cover every built-in check', () => {
    const covered = new Set(names.map((n) => healthKey(loadFixture(n))));
    expect([...HEALTH_CHECKS.keys()].filter((k) => !covered.has(k) && k !== 'extensions/Ingress')).toEqual(
      [],
    );
  });

  it('are each asserted by some test', () => {
    const dir = new URL('./', import.meta.url);
    const sources = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(new URL(f, dir), 'utf8'))
      .join('\n');
    expect(names.filter((n) => !sources.includes(`'${n}'`))).toEqual([]);
  });
});
