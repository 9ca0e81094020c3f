import { cp, mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '../core/index.js';

/** The seed's config repository, as the brief writes it. */
export const SEED_REPO = fileURLToPath(new URL('../../examples/config-repo', import.meta.url));
/** A repository holding the test chart charts/demo and envs/shared.yaml. */
export const HELM_REPO = fileURLToPath(new URL('./testdata/helm-repo', import.meta.url));

/** A temporary directory for one test, removed by the returned cleanup. */
export async function tempDir(
  prefix = 'mooring-render-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), prefix)));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes files (path → content) under root, creating directories. */
export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, content);
  }
}

/** Copies a fixture directory to dest. */
export async function copyFixture(fixture: string, dest: string): Promise<void> {
  await cp(fixture, dest, { recursive: true });
}

/** `Kind namespace/name` of each object, for compact assertions. */
export function names(objects: KubeObject[]): string[] {
  return objects.map(
    (o) => `${o.kind} ${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name}`,
  );
}

/** Lets tests reach deep into an object without casts at every step. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test helper only
type Loose = Record<string, any>;

/** The one object of a kind. */
export function only(objects: KubeObject[], kind: string): Loose {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as Loose;
}

/** A minimal ConfigMap manifest. */
export function configMap(name: string, extra = ''): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;
}
