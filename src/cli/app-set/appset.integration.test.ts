import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ApplicationSet } from '../../core/index.js';
import { kubectl, uniqueName } from '../../../test/harness/cluster.js';
import { main } from '../main.js';
import type { Out } from '../output.js';

const CRD = resolve(import.meta.dirname, '../../../deploy/crds/applicationset-crd.yaml');

function capture(): Out & { text: string } {
  return {
    text: '',
    isTTY: false,
    write(t) {
      this.text += t;
    },
  };
}

/** Runs `mooring ARGS` against the suite's cluster; its exit code, stdout and stderr. */
async function mooring(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await main([...args, '--kubeconfig', inject('kubeconfig')], out, err);
  return { code, out: out.text, err: err.text };
}

// `mooring appset` straight through kubeconfig (as `argocd appset --core`), on the real cluster: no
// controller runs here, so the sets stay as created (no status, no Applications).
describe('mooring appset (kubeconfig)', () => {
  const ns = uniqueName('appset-cli');
  let dir: string;
  let file: string;
  const set = (name: string, path = 'overlays/*'): ApplicationSet =>
    ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name },
      spec: {
        goTemplate: true,
        generators: [
          { git: { repoURL: 'https://example.com/config.git', revision: 'main', directories: [{ path }] } },
        ],
        template: {
          metadata: { name: '{{.path.basename}}' },
          spec: {
            project: 'default',
            source: {
              repoURL: 'https://example.com/config.git',
              path: '{{.path.path}}',
              targetRevision: 'main',
            },
            destination: { server: 'https://kubernetes.default.svc', namespace: '{{.path.basename}}' },
          },
        },
      },
    }) as ApplicationSet;

  beforeAll(async () => {
    // The CRD, as `mooring install` and the controller put it in place: this test runs no controller.
    await kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=mooring-install',
      '-f',
      CRD,
    ]);
    await kubectl([
      'wait',
      '--for=condition=Established',
      'crd/applicationsets.argoproj.io',
      '--timeout=60s',
    ]);
    await kubectl(['create', 'namespace', ns]);
    dir = await mkdtemp(join(tmpdir(), 'appset-cli-'));
    file = join(dir, 'sets.yaml');
    await writeFile(file, [set('envs'), set('fleet')].map((s) => stringify(s)).join('---\n'));
  });

  afterAll(async () => {
    await kubectl(['delete', 'namespace', ns, '--wait=false']).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the sets of a file, lists and shows them, and deletes one', async () => {
    const created = await mooring('appset', 'create', '-f', file, '-n', ns);
    expect(created).toMatchObject({
      code: 0,
      out: "applicationset 'envs' created\napplicationset 'fleet' created\n",
    });

    const table = await mooring('appset', 'list', '-n', ns);
    expect(table.code).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(/^NAME\s+NAMESPACE\s+GENERATORS\s+STRATEGY\s+APPS\s+STATUS/);
    expect(table.out).toMatch(new RegExp(`envs\\s+${ns}\\s+git\\s+AllAtOnce\\s+0\\s+Unknown`));

    const json = await mooring('appset', 'list', '-n', ns, '-o', 'json');
    expect((JSON.parse(json.out) as ApplicationSet[]).map((s) => s.metadata.name)).toEqual(['envs', 'fleet']);

    const yaml = await mooring('appset', 'get', 'envs', '-n', ns, '-o', 'yaml');
    const got = parse(yaml.out) as ApplicationSet;
    expect(got.kind).toBe('ApplicationSet');
    expect(got.spec.generators).toEqual(set('envs').spec.generators);
    const details = await mooring('appset', 'get', 'envs', '-n', ns);
    expect(details.out).toContain('Generators:    git');
    expect(details.out).toContain('No Applications yet.');

    expect(await mooring('appset', 'delete', 'fleet', '-n', ns)).toMatchObject({
      code: 0,
      out: "applicationset 'fleet' deleted\n",
    });
    const names = await mooring('appset', 'list', '-n', ns, '-o', 'name');
    expect(names.out).not.toContain('fleet');
  });

  it('refuses to overwrite a different set without --upsert, and replaces it with --upsert', async () => {
    const changed = join(dir, 'changed.yaml');
    await writeFile(changed, stringify(set('envs', 'apps/*')));
    const refused = await mooring('appset', 'create', '-f', changed, '-n', ns);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain(
      `applicationset "envs" already exists in namespace ${ns} with another spec: use --upsert`,
    );
    expect(await mooring('appset', 'create', '-f', changed, '-n', ns, '--upsert')).toMatchObject({
      code: 0,
      out: "applicationset 'envs' updated\n",
    });
    const got = JSON.parse(
      (await mooring('appset', 'get', 'envs', '-n', ns, '-o', 'json')).out,
    ) as ApplicationSet;
    expect(got.spec.generators[0]!.git!.directories).toEqual([{ path: 'apps/*' }]);
    expect((await mooring('appset', 'create', '-f', changed, '-n', ns)).out).toBe(
      "applicationset 'envs' unchanged\n",
    );
  });

  it('says in one line what is missing or wrong', async () => {
    const missing = await mooring('appset', 'get', 'nope', '-n', ns);
    expect(missing.code).toBe(3);
    expect(missing.err.trim()).toBe(
      `mooring: applicationset "nope" not found in namespace ${ns}: see 'mooring appset list' (or pass -n NAMESPACE)`,
    );
    const notASet = join(dir, 'app.yaml');
    await writeFile(notASet, 'kind: Application\nmetadata: {name: x}\n');
    const bad = await mooring('appset', 'create', '-f', notASet, '-n', ns);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('every document must be an ApplicationSet with metadata.name');
    expect((await mooring('appset', 'delete', 'nope', '-n', ns)).code).toBe(3);
  });
});
